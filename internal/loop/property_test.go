package loop

import (
	"encoding/json"
	"strings"
	"testing"
)

// The property keeps what it does not know, reads ids written as numbers
// or strings, and writes numeric ids as numbers, as Sentry does.
func TestPropertyRoundTripsKeepingUnknownFields(t *testing.T) {
	raw := json.RawMessage(`{"fingerprint":"sentry:acme:101","sentry":[{"org":"acme","issue_id":101},{"issue_id":"102"},{"org":"acme","issue_id":"x"}],"owner":"team-a"}`)
	p, err := ParseProperty(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fingerprint != "sentry:acme:101" || len(p.Sentry) != 3 || p.Sentry[1].IssueID != "102" || !p.Sentry[0].IssueID.Numeric() || p.Sentry[2].IssueID.Numeric() {
		t.Fatalf("parsed %+v", p)
	}
	p.Merge = &Merge{At: "2026-11-20T10:20:00Z", Commit: "abc", Repo: "acme/api", PR: 7}
	p.Deploy = &Deploy{At: "2026-11-20T14:00:00Z", Commit: "def", Environment: "production", Source: DeploySourceGitHub, Ref: "deployment #812"}
	p.Verification = &Verification{State: StateVerified, At: "2026-11-20T17:05:00Z", Evidence: []string{"Errors fell 97% per hour."}}
	p.Reopened = []string{"2026-11-21T11:00:00Z"}
	p.Closing = &Claim{Run: "https://github.com/acme/api/actions/runs/1", At: "2026-11-21T04:00:00Z"}
	out, _ := json.Marshal(p)
	for _, want := range []string{`"owner":"team-a"`, `"merge":{`, `"issue_id":101`, `"issue_id":102`, `"issue_id":"x"`,
		`"fingerprint":"sentry:acme:101"`, `"verification":{"state":"verified","at":"2026-11-20T17:05:00Z","evidence":["Errors fell 97% per hour."]}`, `"reopened":["2026-11-21T11:00:00Z"]`, `"deploy":{"at":"2026-11-20T14:00:00Z","commit":"def","environment":"production","source":"github","ref":"deployment #812"}`, `"closing":{"run":"https://github.com/acme/api/actions/runs/1","at":"2026-11-21T04:00:00Z"}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
	again, err := ParseProperty(out)
	if err != nil || again.Extra["owner"] == nil || again.Merge == nil || *again.Merge != *p.Merge || again.Deploy == nil || *again.Deploy != *p.Deploy || again.Extra["deploy"] != nil ||
		again.Verification == nil || again.Verification.At != p.Verification.At || len(again.Reopened) != 1 || len(again.Extra) != 1 {
		t.Errorf("round trip: %+v, %v", again, err)
	}
}

func TestAnEmptyPropertyIsNoProperty(t *testing.T) {
	for _, raw := range []string{"", "null"} {
		p, err := ParseProperty(json.RawMessage(raw))
		if err != nil || p.Merge != nil || len(p.Sentry) != 0 {
			t.Errorf("%q: %+v, %v", raw, p, err)
		}
	}
	if out, _ := json.Marshal(Property{}); string(out) != "{}" {
		t.Errorf("empty property written as %s", out)
	}
	if _, err := ParseProperty(json.RawMessage(`[1,2]`)); err == nil || !strings.Contains(err.Error(), "fixproof property") {
		t.Errorf("a property that is not an object: %v", err)
	}
}
