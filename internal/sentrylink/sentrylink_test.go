package sentrylink

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/fixproof/fixproof/internal/loop"
)

var saas = Finder{BaseURL: "https://sentry.io", Org: "acme"}
var self = Finder{BaseURL: "https://sentry.example.com", Org: "acme"}

func TestInURL(t *testing.T) {
	tests := []struct {
		f    Finder
		url  string
		want Link
		ok   bool
	}{
		{saas, "https://acme.sentry.io/issues/4711/", Link{"acme", "4711"}, true},
		{saas, "https://acme.sentry.io/issues/4711/events/abc/?project=2", Link{"acme", "4711"}, true},
		{saas, "https://acme.sentry.io/issues/4711", Link{"acme", "4711"}, true},
		{saas, "https://sentry.io/organizations/acme/issues/4711/", Link{"acme", "4711"}, true},
		{saas, "https://de.sentry.io/organizations/acme-eu/issues/9/", Link{"acme-eu", "9"}, true},
		{saas, "https://acme.sentry.io/issues/4711/.", Link{"acme", "4711"}, true},
		{self, "https://sentry.example.com/organizations/ops/issues/12/", Link{"ops", "12"}, true},
		{self, "https://sentry.example.com/issues/12/", Link{"acme", "12"}, true},
		{self, "https://SENTRY.example.com/issues/12/", Link{"acme", "12"}, true},
		// Not Sentry issue URLs.
		{saas, "https://sentry.io/issues/12/", Link{}, false},
		{saas, "https://acme.sentry.io/issues/abc/", Link{}, false},
		{saas, "https://acme.sentry.io/projects/api/", Link{}, false},
		{saas, "https://sentry.example.com/issues/12/", Link{}, false},
		{self, "https://evil.example.com/organizations/ops/issues/12/", Link{}, false},
		{saas, "https://acme.sentry.io.evil.example/issues/1/", Link{}, false},
		{saas, "ftp://acme.sentry.io/issues/1/", Link{}, false},
		{saas, "https://github.com/acme/api/issues/12", Link{}, false},
		{saas, "https://acme.sentry.io/organizations/acme/issues/12/", Link{}, false},
		{saas, "https://sentry.io/organizations/acme/issues/", Link{}, false},
		{saas, "https://acme.sentry.io/issues/", Link{}, false},
		{saas, "https://de.sentry.io/issues/12/", Link{}, false}, // a region host names no org
		{saas, "https://sentry.io/organizations/-acme/issues/12/", Link{}, false},
		{self, "https://sentry.example.com/organizations/ops/projects/12/", Link{}, false},
	}
	for _, tt := range tests {
		got, ok := tt.f.InURL(tt.url)
		if got != tt.want || ok != tt.ok {
			t.Errorf("InURL(%q) = %v %v, want %v %v", tt.url, got, ok, tt.want, tt.ok)
		}
	}
}

func TestInDescriptionReadsADFAndWiki(t *testing.T) {
	// What Sentry's Jira integration writes (Cloud, ADF): a link mark and
	// an inline card, plus a URL in plain text.
	adf := `{"type":"doc","version":1,"content":[
	  {"type":"paragraph","content":[{"type":"text","text":"Sentry Issue: ","marks":[]},
	    {"type":"text","text":"API-1A","marks":[{"type":"link","attrs":{"href":"https://acme.sentry.io/issues/101/?referrer=jira_integration"}}]}]},
	  {"type":"paragraph","content":[{"type":"inlineCard","attrs":{"url":"https://sentry.io/organizations/acme/issues/102/"}}]},
	  {"type":"codeBlock","content":[{"type":"text","text":"see https://acme.sentry.io/issues/103/ and https://acme.sentry.io/issues/101/"}]}]}`
	got := saas.InDescription(json.RawMessage(adf))
	want := []Link{{"acme", "101"}, {"acme", "102"}, {"acme", "103"}}
	if !sameSet(got, want) {
		t.Errorf("ADF: %v, want %v", got, want)
	}
	wiki, _ := json.Marshal("Sentry Issue: [API-1A|https://acme.sentry.io/issues/101/]\n{code}https://acme.sentry.io/issues/104/{code}")
	if got := saas.InDescription(wiki); !sameSet(got, []Link{{"acme", "101"}, {"acme", "104"}}) {
		t.Errorf("wiki: %v", got)
	}
	if got := saas.InDescription(nil); got != nil {
		t.Errorf("no description: %v", got)
	}
}

func sameSet(a, b []Link) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[Link]bool{}
	for _, l := range a {
		m[l] = true
	}
	for _, l := range b {
		if !m[l] {
			return false
		}
	}
	return true
}

func TestFromPropertyAcceptsNumberOrStringIDsAndSkipsTheRest(t *testing.T) {
	p, err := loop.ParseProperty(json.RawMessage(`{"sentry":[{"org":"acme","issue_id":101},{"issue_id":"102"},{"org":"acme","issue_id":"x"},{"org":"Bad Org","issue_id":5}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := FromProperty(p, "acme"); !reflect.DeepEqual(got, []Link{{"acme", "101"}, {"acme", "102"}}) {
		t.Errorf("links %v", got)
	}
}

func TestIssueURL(t *testing.T) {
	if got := IssueURL("https://sentry.io", Link{"acme", "1"}); got != "https://acme.sentry.io/issues/1/" {
		t.Error(got)
	}
	if got := IssueURL("https://sentry.example.com/", Link{"ops", "1"}); got != "https://sentry.example.com/organizations/ops/issues/1/" {
		t.Error(got)
	}
}

// Rewriting the property's links keeps the project each had recorded,
// also for a reference written without its org (the default org's).
func TestToPropertyKeepsRecordedProjects(t *testing.T) {
	before := []loop.SentryRef{{IssueID: "101", Project: "2"}, {Org: "other", IssueID: "102", Project: "9"}}
	links := []Link{{Org: "acme", IssueID: "101"}, {Org: "acme", IssueID: "102"}, {Org: "other", IssueID: "102"}}
	got := ToProperty(links, before, "acme")
	want := []loop.SentryRef{{Org: "acme", IssueID: "101", Project: "2"}, {Org: "acme", IssueID: "102"}, {Org: "other", IssueID: "102", Project: "9"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ToProperty = %+v, want %+v", got, want)
	}
	p := loop.Property{Sentry: got}
	if ProjectOf(p, links[0], "acme") != "2" || ProjectOf(p, links[1], "acme") != "" || ProjectOf(p, Link{Org: "acme", IssueID: "999"}, "acme") != "" {
		t.Errorf("ProjectOf read the wrong project from %+v", got)
	}
}
