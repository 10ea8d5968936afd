package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// checksFixture is appFixture with commit sha("head") in acme/widgets
// and beta/one, and a token of installation acme (checks: write).
func checksFixture(t *testing.T) (*Server, *httptest.Server, *sim.Clock, string) {
	t.Helper()
	s, ts, clock := appFixture(t)
	s.AddCommit("acme", "widgets", sha("head"))
	s.AddCommit("beta", "one", sha("head"))
	return s, ts, clock, "token " + newToken(t, ts, clock, instAcme, "")
}

func TestCheckRunLifecycle(t *testing.T) {
	s, ts, clock, auth := checksFixture(t)
	spec := restSpec(t)
	status, _, body := call(t, ts, spec, "POST", "/repos/acme/widgets/check-runs", auth,
		`{"name":"fixproof","head_sha":"`+strings.ToUpper(sha("head"))+`","details_url":"https://fixproof.example/1","external_id":"42"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var run struct {
		ID          int64   `json:"id"`
		Status      string  `json:"status"`
		Conclusion  *string `json:"conclusion"`
		HeadSHA     string  `json:"head_sha"`
		StartedAt   string  `json:"started_at"`
		CompletedAt *string `json:"completed_at"`
		ExternalID  string  `json:"external_id"`
		Output      struct {
			Title *string `json:"title"`
		} `json:"output"`
		App struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"app"`
	}
	if err := json.Unmarshal([]byte(body), &run); err != nil || run.Status != "queued" || run.Conclusion != nil || run.HeadSHA != sha("head") ||
		run.StartedAt != "2024-03-01T09:00:00Z" || run.CompletedAt != nil || run.ExternalID != "42" || run.Output.Title != nil ||
		run.App.ID != testAppID || run.App.Slug != "fixproof" {
		t.Fatalf("created (%v): %s", err, body)
	}
	path := fmt.Sprintf("/repos/acme/widgets/check-runs/%d", run.ID)
	if status, _, body := call(t, ts, spec, "PATCH", path, auth, `{"status":"in_progress","output":{"title":"Verifying","summary":"PROJ-1 in staging"}}`); status != http.StatusOK ||
		!strings.Contains(body, `"status":"in_progress","conclusion":null`) || !strings.Contains(body, `"title":"Verifying","summary":"PROJ-1 in staging","text":null`) {
		t.Errorf("in progress: %d %s", status, body)
	}
	clock.Advance(time.Minute)
	// A conclusion alone completes the run.
	status, _, body = call(t, ts, spec, "PATCH", path, auth, `{"conclusion":"success"}`)
	if status != http.StatusOK || !strings.Contains(body, `"status":"completed","conclusion":"success","started_at":"2024-03-01T09:00:00Z","completed_at":"2024-03-01T09:01:00Z"`) {
		t.Errorf("completed: %d %s", status, body)
	}
	if status, _, got := call(t, ts, spec, "GET", path, auth, ""); status != http.StatusOK || got != body {
		t.Errorf("get: %d %s", status, got)
	}
	got := s.CheckRuns("acme", "widgets")
	if len(got) != 1 || got[0].Status != "completed" || got[0].Conclusion != "success" || got[0].Title != "Verifying" ||
		got[0].App != "fixproof[bot]" || !got[0].CompletedAt.Equal(base.Add(time.Minute)) {
		t.Errorf("CheckRuns: %+v", got)
	}
	if status, _, _ := callUndocumented(t, ts, spec, "PATCH", "/repos/acme/widgets/check-runs/1", auth, `{"status":"queued"}`); status != http.StatusNotFound {
		t.Errorf("unknown id: %d", status)
	}
}

func TestCheckRunRequestsAreValidatedAsGitHubDoes(t *testing.T) {
	s, ts, _, auth := checksFixture(t)
	spec := restSpec(t)
	head := sha("head")
	create := func(fields string) string { return `{"name":"fixproof","head_sha":"` + head + `"` + fields + `}` }
	long := strings.Repeat("é", MaxCheckRunOutput+1)
	// refused says whether the description refuses the request too; the
	// others it cannot express (a conditional requirement, a commit that
	// does not exist).
	for _, tc := range []struct {
		name, body, want string
		refused          bool
	}{
		{"no name", `{"head_sha":"` + head + `"}`, `Invalid request.\n\n\"name\" wasn't supplied.`, true},
		{"no head_sha", `{"name":"fixproof"}`, `Invalid request.\n\n\"head_sha\" wasn't supplied.`, true},
		{"completed without a conclusion", create(`,"status":"completed"`), `Invalid request.\n\n\"conclusion\" wasn't supplied.`, false},
		{"completed_at without a conclusion", create(`,"completed_at":"2024-03-01T09:00:00Z"`), `Invalid request.\n\n\"conclusion\" wasn't supplied.`, false},
		{"output without a summary", create(`,"output":{"title":"t"}`), `Invalid request.\n\n\"summary\" wasn't supplied.`, true},
		{"summary too long", create(`,"output":{"title":"t","summary":"` + long + `"}`), `Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.`, true},
		{"text too long", create(`,"output":{"title":"t","summary":"s","text":"` + long + `"}`), `Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.`, true},
		{"unknown commit", `{"name":"fixproof","head_sha":"` + sha("nowhere") + `"}`, `No commit found for SHA: ` + sha("nowhere"), false},
		{"a status reserved for Actions", create(`,"status":"waiting"`), `Invalid request.\n\nFor 'properties/status', \"waiting\" is not one of`, true},
		{"stale, which only GitHub sets", create(`,"conclusion":"stale"`), `Invalid request.\n\nFor 'properties/conclusion', \"stale\" is not one of`, false},
		{"an unknown conclusion", create(`,"conclusion":"passed"`), `Invalid request.\n\nFor 'properties/conclusion', \"passed\" is not one of`, true},
	} {
		send := callUndocumented
		if tc.refused {
			send = callInvalid
		}
		status, _, body := send(t, ts, spec, "POST", "/repos/acme/widgets/check-runs", auth, tc.body)
		if status != http.StatusUnprocessableEntity || !strings.HasPrefix(body, `{"message":"`+tc.want) ||
			!strings.HasSuffix(body, `","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run"}`) {
			t.Errorf("%s: %d %.300s", tc.name, status, body)
		}
	}
	if got := s.CheckRuns("acme", "widgets"); got != nil {
		t.Errorf("refused requests stored runs: %+v", got)
	}
	// The limits are inclusive.
	ok := strings.Repeat("é", MaxCheckRunOutput)
	if status, _, body := call(t, ts, spec, "POST", "/repos/acme/widgets/check-runs", auth,
		create(`,"conclusion":"neutral","output":{"title":"t","summary":"`+ok+`","text":"`+ok+`"}`)); status != http.StatusCreated ||
		!strings.Contains(body, `"status":"completed"`) {
		t.Errorf("65535 characters: %d %.200s", status, body)
	}
}

func TestCheckRunsNeedTheChecksPermission(t *testing.T) {
	_, ts, clock, acme := checksFixture(t)
	spec := restSpec(t)
	beta := "token " + newToken(t, ts, clock, instBeta, "") // checks: read
	create := `{"name":"fixproof","head_sha":"` + sha("head") + `"}`
	status, h, body := callUndocumented(t, ts, spec, "POST", "/repos/beta/one/check-runs", beta, create)
	if status != http.StatusForbidden || body != `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run"}` ||
		h.Get("X-Accepted-GitHub-Permissions") != "checks=write" {
		t.Errorf("read-only create: %d %s %v", status, body, h)
	}
	if status, _, body := call(t, ts, spec, "GET", "/repos/beta/one/commits/"+sha("head")+"/check-runs", beta, ""); status != http.StatusOK ||
		body != `{"total_count":0,"check_runs":[]}` {
		t.Errorf("read-only list: %d %s", status, body)
	}
	// Another installation's repository does not exist for the token.
	if status, _, _ := callUndocumented(t, ts, spec, "POST", "/repos/beta/one/check-runs", acme, create); status != http.StatusNotFound {
		t.Errorf("other installation's repository: %d", status)
	}
	s2, ts2, clock2 := appFixture(t)
	s2.AddCommit("gamma", "g", sha("head"))
	gamma := "token " + newToken(t, ts2, clock2, instGamma, "") // no permissions
	if status, h, _ := callUndocumented(t, ts2, spec, "GET", "/repos/gamma/g/commits/"+sha("head")+"/check-runs", gamma, ""); status != http.StatusForbidden ||
		h.Get("X-Accepted-GitHub-Permissions") != "checks=read" {
		t.Errorf("no checks permission, list: %d %v", status, h)
	}
}

func TestListCheckRunsForACommitFiltersAndPaginates(t *testing.T) {
	_, ts, clock, auth := checksFixture(t)
	spec := restSpec(t)
	for _, name := range []string{"lint", "test", "lint", "test", "lint"} {
		clock.Advance(time.Second)
		if status, _, body := call(t, ts, spec, "POST", "/repos/acme/widgets/check-runs", auth, `{"name":"`+name+`","head_sha":"`+sha("head")+`"}`); status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
	}
	list := "/repos/acme/widgets/commits/" + sha("head") + "/check-runs"
	type page struct {
		TotalCount int `json:"total_count"`
		CheckRuns  []struct {
			ID   int64
			Name string
		} `json:"check_runs"`
	}
	get := func(q string) (page, http.Header) {
		status, h, body := call(t, ts, spec, "GET", list+q, auth, "")
		var p page
		if err := json.Unmarshal([]byte(body), &p); status != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %v %s", q, status, err, body)
		}
		return p, h
	}
	first := int64(firstCheckRunID)
	if p, _ := get(""); p.TotalCount != 2 || len(p.CheckRuns) != 2 || p.CheckRuns[0].ID != first+4 || p.CheckRuns[1].ID != first+3 {
		t.Errorf("latest of each name, newest first: %+v", p)
	}
	if p, _ := get("?filter=all"); p.TotalCount != 5 || p.CheckRuns[4].ID != first {
		t.Errorf("all: %+v", p)
	}
	if p, _ := get("?check_name=lint&filter=all"); p.TotalCount != 3 || p.CheckRuns[0].Name != "lint" || p.CheckRuns[2].Name != "lint" {
		t.Errorf("by name: %+v", p)
	}
	p, h := get("?filter=all&per_page=2&page=2")
	u := ts.URL + list + "?filter=all&per_page=2&page="
	if p.TotalCount != 5 || len(p.CheckRuns) != 2 || p.CheckRuns[0].ID != first+2 ||
		h.Get("Link") != "<"+u+`1>; rel="prev", <`+u+`3>; rel="next", <`+u+`3>; rel="last", <`+u+`1>; rel="first"` {
		t.Errorf("page 2: %+v %s", p, h.Get("Link"))
	}
	if status, _, _ := callUndocumented(t, ts, spec, "GET", "/repos/acme/widgets/commits/"+sha("nowhere")+"/check-runs", auth, ""); status != http.StatusNotFound {
		t.Errorf("unknown commit: %d", status)
	}
}
