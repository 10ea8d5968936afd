package contract

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const (
	sentryIssue      = "http://127.0.0.1:39124/api/0/organizations/acme/issues/4711/"
	sentryTimeseries = "http://127.0.0.1:39124/api/0/organizations/acme/events-timeseries/"
	sentryComments   = "http://127.0.0.1:39124/api/0/organizations/acme/issues/4711/comments/"
	sentryExternal   = "https://sentry.example.com/api/0/organizations/acme/issues/4711/external-issues/"
)

func TestSentrySpecLoads(t *testing.T) {
	spec := SentrySpec(t)
	doc := spec.Doc()
	for path, methods := range map[string][]string{
		"/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/":                 {"GET", "PUT"},
		"/api/0/organizations/{organization_id_or_slug}/events-timeseries/":                 {"GET"},
		"/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/external-issues/": {"GET"},
		"/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/":        {"GET", "POST"},
	} {
		item := doc.Paths.Value(path)
		if item == nil {
			t.Errorf("%s: not in the spec", path)
			continue
		}
		for _, m := range methods {
			if item.GetOperation(m) == nil {
				t.Errorf("%s %s: not in the spec", m, path)
			}
		}
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers not replaced: %v", doc.Servers)
	}
}

func TestSentrySpecIsCached(t *testing.T) {
	if a, b := SentrySpec(t), SentrySpec(t); a != b {
		t.Errorf("SentrySpec loaded the spec twice")
	}
	if SentrySpec(t) == JiraSpec(t) {
		t.Errorf("SentrySpec and JiraSpec share a cache entry")
	}
}

func TestSentrySpecSkipsWhenAbsent(t *testing.T) {
	t.Setenv(EnvCI, "")
	t.Setenv(EnvDir, t.TempDir())
	var skipped bool
	t.Run("SentrySpec", func(st *testing.T) {
		defer func() { skipped = st.Skipped() }()
		SentrySpec(st)
		st.Errorf("SentrySpec did not skip with the contracts absent")
	})
	if !skipped {
		t.Errorf("subtest was not skipped")
	}
}

func TestSentrySpecRequests(t *testing.T) {
	spec := SentrySpec(t)
	ts := sentryTimeseries + "?dataset=errors&query=issue.id%3A4711&yAxis=count%28%29&interval=3600&project=-1" +
		"&start=2026-03-01T10%3A00%3A00Z&end=2026-03-01T16%3A00%3A00Z"
	for name, c := range map[string]jiraCase{
		"resolve in commit": {
			method: "PUT", url: sentryIssue,
			body: `{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f1e2d3c","repository":"acme/shop"}}}`,
		},
		"resolve": {method: "PUT", url: sentryIssue, body: `{"status":"resolved"}`},
		"resolve on the vendor host": {
			method: "PUT", url: "https://sentry.io/api/0/organizations/acme/issues/4711/", body: `{"status":"resolved"}`,
		},
		"status is a number": {
			method: "PUT", url: sentryIssue, body: `{"status":5}`,
			want: `Error at "/status"`,
		},
		"status not a choice": {
			method: "PUT", url: sentryIssue, body: `{"status":"closed"}`,
			want: `Error at "/status": value is not one of the allowed values`,
		},
		"inCommit without repository": {
			method: "PUT", url: sentryIssue, body: `{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f1e2d3c"}}}`,
			want: `property "repository" is missing`,
		},
		"inCommit without commit": {
			method: "PUT", url: sentryIssue, body: `{"status":"resolved","statusDetails":{"inCommit":{"repository":"acme/shop"}}}`,
			want: `property "commit" is missing`,
		},
		"ignore for a while": {
			method: "PUT", url: sentryIssue, body: `{"status":"ignored","statusDetails":{"ignoreDuration":30}}`,
		},
		"inCommit is a string": {
			method: "PUT", url: sentryIssue, body: `{"status":"resolved","statusDetails":{"inCommit":"0f1e2d3c"}}`,
			want: `Error at "/inCommit": doesn't match schema due to: value must be an object`,
		},
		"issue GET": {method: "GET", url: sentryIssue},
		"issue GET with a body": {
			method: "GET", url: sentryIssue, body: `{}`,
			want: "request body not allowed",
		},
		"timeseries": {method: "GET", url: ts},
		"timeseries without dataset": {
			method: "GET", url: strings.Replace(ts, "dataset=errors&", "", 1),
			want: `query parameter "dataset"`,
		},
		"timeseries with an unknown dataset": {
			method: "GET", url: strings.Replace(ts, "dataset=errors", "dataset=issues", 1),
			want: `query parameter "dataset"`,
		},
		"timeseries interval as a period": {
			method: "GET", url: strings.Replace(ts, "interval=3600", "interval=1h", 1),
			want: `query parameter "interval"`,
		},
		"timeseries start not a date-time": {
			method: "GET", url: strings.Replace(ts, "start=2026-03-01T10%3A00%3A00Z", "start=yesterday", 1),
			want: `query parameter "start"`,
		},
		"timeseries undocumented parameter": {
			method: "GET", url: ts + "&per_page=100",
			want: `query parameter "per_page": not documented for this operation`,
		},
		"external issues": {method: "GET", url: sentryExternal},
		"note":            {method: "POST", url: sentryComments, body: `{"text":"Fixed by acme/shop#12"}`},
		"note text is a number": {
			method: "POST", url: sentryComments, body: `{"text":1}`,
			want: `contract: POST /api/0/organizations/acme/issues/4711/comments/ request: body: doesn't match schema: Error at "/text"`,
		},
		"note without text": {
			method: "POST", url: sentryComments, body: `{"body":"x"}`,
			want: `property "text" is missing`,
		},
		"note text blank": {
			method: "POST", url: sentryComments, body: `{"text":""}`,
			want: `Error at "/text"`,
		},
		"notes": {method: "GET", url: sentryComments + "?cursor=1741000000000%3A0%3A0"},
		"notes undocumented parameter": {
			method: "GET", url: sentryComments + "?limit=5",
			want: `query parameter "limit": not documented`,
		},
		"notes DELETE": {
			method: "DELETE", url: sentryComments,
			want: "the Sentry spec documents only GET, POST for this path",
		},
		"undocumented path": {
			method: "GET", url: "http://127.0.0.1:39124/api/0/organizations/acme/issues/4711/fixproof/",
			want: "contract: GET /api/0/organizations/acme/issues/4711/fixproof/ request: no path in the Sentry spec matches",
		},
		"legacy path without organization": {
			method: "GET", url: "http://127.0.0.1:39124/api/0/issues/4711/",
			want: "no path in the Sentry spec matches",
		},
		"no trailing slash": {
			method: "GET", url: "http://127.0.0.1:39124/api/0/organizations/acme/issues/4711",
			want: "no path in the Sentry spec matches",
		},
	} {
		t.Run(name, func(t *testing.T) { c.run(t, spec) })
	}
}

// sentryIssueBody is an issue as Sentry serializes it, resolved in a
// commit; %s is replaced by the value of statusDetails.
const sentryIssueBody = `{"id":"4711","shareId":null,"shortId":"SHOP-2F","title":"ZeroDivisionError: division by zero",
"culprit":"shop.cart in total","permalink":"https://acme.sentry.io/issues/4711/","logger":null,"level":"error",
"status":"resolved","statusDetails":%s,"substatus":null,"isPublic":false,"platform":"python","priority":"high",
"priorityLockedAt":null,"seerFixabilityScore":null,"seerAutofixLastTriggered":null,"seerExplorerAutofixLastTriggered":null,
"project":{"id":"2","name":"shop","slug":"shop","platform":"python"},"type":"error","issueType":"error",
"issueCategory":"error","metadata":{"type":"ZeroDivisionError","value":"division by zero"},"numComments":0,
"assignedTo":null,"isBookmarked":false,"isSubscribed":false,"subscriptionDetails":null,"hasSeen":false,
"annotations":[],"count":"150","userCount":12,"firstSeen":"2026-02-01T09:00:00Z","lastSeen":"2026-03-01T09:59:59.123456Z",
"activity":[{"id":"1","type":"note","user":null,"data":{"text":"x"},"dateCreated":"2026-03-01T10:00:00Z"}],
"seenBy":[],"participants":[],"userReportCount":0,"firstRelease":null,"lastRelease":null,"tags":[],
"stats":{"24h":[[1741000000,3],[1741003600,0]]}}`

func issueWith(details string) string { return strings.Replace(sentryIssueBody, "%s", details, 1) }

func TestSentrySpecResponses(t *testing.T) {
	spec := SentrySpec(t)
	series := `{"meta":{"dataset":"errors","start":1772359200000,"end":1772380800000},"timeSeries":[{"yAxis":"count()",
"values":[{"timestamp":1772359200000,"value":4,"incomplete":false},{"timestamp":1772362800000,"value":0,"incomplete":true,"incompleteReason":"INCOMPLETE_BUCKET"}],
"meta":{"interval":3600000,"valueType":"integer","valueUnit":null}}]}`
	note := `{"id":"77","type":"note","data":{"text":"Fixed by acme/shop#12"},"user":{"id":"1","name":"fixproof"},"dateCreated":"2026-03-01T10:00:00.123456Z"}`
	commit := `{"inCommit":{"id":"0f1e2d3c","message":null,"dateCreated":"2026-03-01T10:00:00Z","repository":{"id":"3","name":"acme/shop"},"author":null}}`
	for name, c := range map[string]jiraCase{
		"issue resolved in a commit": {method: "GET", url: sentryIssue, status: 200, body: issueWith(commit)},
		"issue PUT answer":           {method: "PUT", url: sentryIssue, status: 200, body: issueWith(commit)},
		"issue with empty details":   {method: "GET", url: sentryIssue, status: 200, body: issueWith(`{}`)},
		"inCommit as the spec documents it": {
			method: "GET", url: sentryIssue, status: 200, body: issueWith(`{"inCommit":"0f1e2d3c"}`),
		},
		"issue without its short id": {
			method: "GET", url: sentryIssue, status: 200, body: strings.Replace(issueWith(`{}`), `"shortId":"SHOP-2F",`, ``, 1),
			want: `property "shortId" is missing`,
		},
		"issue without statusDetails": {
			method: "PUT", url: sentryIssue, status: 200, body: strings.Replace(issueWith(`{}`), `"statusDetails":{},`, ``, 1),
			want: `property "statusDetails" is missing`,
		},
		"inCommit a number": {
			method: "GET", url: sentryIssue, status: 200, body: issueWith(`{"inCommit":5}`),
			want: `Error at "/statusDetails/inCommit"`,
		},
		"inCommit repository a number": {
			method: "GET", url: sentryIssue, status: 200, body: issueWith(`{"inCommit":{"id":"0f","repository":3}}`),
			want: `Error at "/statusDetails/inCommit"`,
		},
		"count a number": {
			method: "GET", url: sentryIssue, status: 200, body: strings.Replace(issueWith(`{}`), `"count":"150"`, `"count":150`, 1),
			want: `Error at "/count": value must be a string`,
		},
		"status not a choice": {
			method: "GET", url: sentryIssue, status: 200, body: strings.Replace(issueWith(`{}`), `"status":"resolved"`, `"status":"closed"`, 1),
			want: `Error at "/status"`,
		},
		"firstSeen not a date-time": {
			method: "GET", url: sentryIssue, status: 200, body: strings.Replace(issueWith(`{}`), `"2026-02-01T09:00:00Z"`, `"1 Feb 2026"`, 1),
			want: `Error at "/firstSeen"`,
		},
		"issue not found": {
			method: "GET", url: sentryIssue, status: 404, body: `{"detail":"The requested resource does not exist"}`,
		},
		"issue unauthorized": {method: "GET", url: sentryIssue, status: 401, body: `{"detail":"Invalid token"}`},
		"issue bad request undocumented for GET": {
			method: "GET", url: sentryIssue, status: 400, body: `{}`,
			want: "status is not supported",
		},
		"rate limited": {method: "GET", url: sentryIssue, status: 429, body: `{"detail":"slow down"}`},
		"external issues of a missing issue": {
			method: "GET", url: sentryExternal, status: 404, body: `{"detail":"The requested resource does not exist"}`,
		},
		"timeseries forbidden": {method: "GET", url: sentryTimeseries, status: 403, body: `{"detail":"x"}`},
		"timeseries bad request": {
			method: "GET", url: sentryTimeseries, status: 400, body: `{"detail":"Invalid query"}`,
		},
		"external issues bad request undocumented": {
			method: "GET", url: sentryExternal, status: 400, body: `{}`,
			want: "status is not supported",
		},
		"timeseries": {method: "GET", url: sentryTimeseries, status: 200, body: series},
		"timeseries empty": {
			method: "GET", url: sentryTimeseries, status: 200, body: `{"meta":{"dataset":"errors","start":0,"end":0},"timeSeries":[]}`,
		},
		"timeSeries not an array": {
			method: "GET", url: sentryTimeseries, status: 200, body: `{"meta":{"dataset":"errors","start":0,"end":0},"timeSeries":{}}`,
			want: `Error at "/timeSeries": value must be an array`,
		},
		"timestamp a string": {
			method: "GET", url: sentryTimeseries, status: 200, body: strings.Replace(series, `"timestamp":1772359200000`, `"timestamp":"2026-03-01T10:00:00Z"`, 1),
			want: `Error at "/timeSeries/0/values/0/timestamp"`,
		},
		"notes": {method: "GET", url: sentryComments, status: 200, body: "[" + note + "]"},
		"note by nobody": {
			method: "GET", url: sentryComments, status: 200, body: "[" + strings.Replace(note, `{"id":"1","name":"fixproof"}`, "null", 1) + "]",
		},
		"notes not an array": {
			method: "GET", url: sentryComments, status: 200, body: note,
			want: "value must be an array",
		},
		"note created": {method: "POST", url: sentryComments, status: 201, body: note},
		"note text a number": {
			method: "POST", url: sentryComments, status: 201, body: strings.Replace(note, `"Fixed by acme/shop#12"`, `12`, 1),
			want: `Error at "/data/text"`,
		},
		"note of another type": {
			method: "POST", url: sentryComments, status: 201, body: strings.Replace(note, `"type":"note"`, `"type":"set_resolved"`, 1),
			want: `Error at "/type"`,
		},
		"note without a date": {
			method: "POST", url: sentryComments, status: 201, body: strings.Replace(note, `,"dateCreated":"2026-03-01T10:00:00.123456Z"`, ``, 1),
			want: `property "dateCreated" is missing`,
		},
		"duplicate note": {
			method: "POST", url: sentryComments, status: 400, body: `{"detail":"You have already posted that comment."}`,
		},
		"external issues": {
			method: "GET", url: sentryExternal, status: 200,
			body: `[{"id":"9","issueId":"4711","serviceType":"jira-app","displayName":"SHOP#SHOP-12","webUrl":"https://acme.atlassian.net/browse/SHOP-12"}]`,
		},
		"external issue id a number": {
			method: "GET", url: sentryExternal, status: 200,
			body: `[{"id":9,"issueId":"4711","serviceType":"jira-app","displayName":"SHOP#SHOP-12","webUrl":"https://x"}]`,
			want: `Error at "/0/id"`,
		},
	} {
		t.Run(name, func(t *testing.T) { c.run(t, spec) })
	}
}

var sentryTemplateParam = regexp.MustCompile(`\{[^}]+\}`)

// sentryExamples calls fn with every example the spec gives of a JSON
// request or response body: the operation, its path with parameters
// filled in, the status (0 for a request) and the example.
func sentryExamples(doc *openapi3.T, fn func(name, method, path string, status int, body []byte)) {
	for tmpl, item := range doc.Paths.Map() {
		path := sentryTemplateParam.ReplaceAllString(tmpl, "1")
		for method, op := range item.Operations() {
			examples := func(mt *openapi3.MediaType, status int, what string) {
				if mt == nil {
					return
				}
				all := map[string]any{}
				if mt.Example != nil {
					all["example"] = mt.Example
				}
				for name, ex := range mt.Examples {
					if ex != nil && ex.Value != nil {
						all[name] = ex.Value.Value
					}
				}
				for name, v := range all {
					b, err := json.Marshal(v)
					if err != nil {
						continue
					}
					fn(method+" "+tmpl+" "+what+" "+name, method, path, status, b)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				examples(op.RequestBody.Value.Content.Get("application/json"), 0, "request")
			}
			for code, resp := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil || resp.Value == nil {
					continue
				}
				examples(resp.Value.Content.Get("application/json"), status, code)
			}
		}
	}
}

func validateExample(spec *Spec, method, path string, status int, body []byte) error {
	r := httptest.NewRequest(method, "https://sentry.io"+path, nil)
	if status == 0 {
		r.Header.Set("Content-Type", "application/json")
		return spec.ValidateRequest(r, body)
	}
	return spec.ValidateResponse(r, status, http.Header{"Content-Type": {"application/json"}}, body)
}

// TestSentrySpecExamples checks that the adjusted spec accepts every
// example the spec itself gives, among them the issue fixproof reads.
func TestSentrySpecExamples(t *testing.T) {
	spec := SentrySpec(t)
	n := 0
	var sawIssue bool
	sentryExamples(spec.Doc(), func(name, method, path string, status int, body []byte) {
		n++
		if strings.Contains(name, "/issues/{issue_id}/ 200") {
			sawIssue = true
		}
		if err := validateExample(spec, method, path, status, body); err != nil {
			t.Errorf("%s: the spec's own example is rejected: %v", name, err)
		}
	})
	if n < 100 || !sawIssue {
		t.Errorf("only %d examples found (issue example seen: %v)", n, sawIssue)
	}
}

// TestSentrySpecAdjustmentsAreNeeded loads the document as published and
// checks that each adjustment SentrySpec makes is still needed, so that
// none outlives the problem it works around.
func TestSentrySpecAdjustmentsAreNeeded(t *testing.T) {
	p := RequireFile(t, sentrySpecFile)
	raw, err := loadSpec(specConfig{name: "Sentry", path: p})
	if err != nil {
		t.Fatal(err)
	}

	// Errata: each still finds its flaw in the published document, and
	// a document already corrected has none left to correct.
	published := loadRawSentry(t, p)
	if stale := applyErrata(published, sentryErrata); len(stale) > 0 {
		t.Errorf("errata no longer needed: %q", stale)
	}
	if stale := applyErrata(published, sentryErrata); len(stale) != len(sentryErrata) {
		t.Errorf("errata still find a flaw in the corrected document: %d of %d stale", len(stale), len(sentryErrata))
	}
	// The flaws they correct: a PUT with only a status is rejected, and
	// so is a resolve in a commit, for want of the other statusDetails.
	for body, want := range map[string]string{
		`{"status":"resolved"}`: `property "assignedTo" is missing`,
		`{"assignedTo":"","discard":false,"hasSeen":false,"inbox":false,"isBookmarked":false,"isPublic":false,"isSubscribed":false,"merge":false,"priority":"high","substatus":null,"status":"resolved","statusDetails":{"inCommit":{"commit":"0f","repository":"acme/shop"}}}`: `property "inRelease" is missing`,
	} {
		r := httptest.NewRequest("PUT", sentryIssue, nil)
		r.Header.Set("Content-Type", "application/json")
		if err := raw.ValidateRequest(r, []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the published spec no longer says %s for %s (%v): review sentryErrata", want, body, err)
		}
	}

	// Access errors: listing external issues documents only 200.
	r := httptest.NewRequest("GET", sentryExternal, nil)
	if err := raw.ValidateResponse(r, 404, http.Header{"Content-Type": {"application/json"}}, []byte(`{"detail":"x"}`)); err == nil {
		t.Errorf("the published spec documents a 404 for external issues: review addAccessErrors")
	}

	// Nulls in untyped schemas: some of the spec's own examples fail as
	// published.
	nullFails := 0
	sentryExamples(raw.Doc(), func(name, method, path string, status int, body []byte) {
		err := validateExample(raw, method, path, status, body)
		if err == nil {
			return
		}
		if strings.Contains(err.Error(), "Value is not nullable") {
			nullFails++
		}
	})
	if nullFails == 0 {
		t.Errorf("no published example has a null in an untyped schema: drop allowNullWhereUnconstrained")
	}

	// inCommit: still a plain string in the published response schema.
	b, err := os.ReadFile(filepath.Join(Require(t), filepath.FromSlash(sentrySpecFile)))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct {
							Properties map[string]struct {
								Type string `json:"type"`
							} `json:"properties"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := doc.Paths["/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"]["get"]
	typ := get.Responses["200"].Content["application/json"].Schema.Properties["statusDetails"].Properties["inCommit"].Type
	if typ != "string" {
		t.Errorf("the published spec now types statusDetails.inCommit as %q: review widenInCommit", typ)
	}
	if n := widenInCommit(raw.Doc()); n == 0 {
		t.Errorf("widenInCommit found nothing to widen")
	}
}

// loadRawSentry loads Sentry's document as published, unadjusted.
func loadRawSentry(t *testing.T, path string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSentryFragmentIsOurs(t *testing.T) {
	// The fragment must add only what the published document lacks:
	// merging it into a document that has its path is an error.
	doc := &openapi3.T{Paths: openapi3.NewPaths()}
	if err := mergeFragment(doc, sentryExtra); err != nil {
		t.Fatalf("merging into an empty document: %v", err)
	}
	if err := mergeFragment(doc, sentryExtra); err == nil {
		t.Errorf("merging twice was accepted")
	}
	if err := mergeFragment(&openapi3.T{}, `{"openapi":"3.0.3","info":{"title":"x","version":"0"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Nope"}}}}}}}}}`); err == nil {
		t.Errorf("a fragment with a dangling reference was accepted")
	}
}
