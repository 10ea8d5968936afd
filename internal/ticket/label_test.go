package ticket

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// jiraSite is a strict simulated Jira Cloud with project OPS, and a client
// for it: what Jira refuses, it refuses in Jira's words.
func jiraSite(t testing.TB) (*jirasim.Server, *jira.Client) {
	t.Helper()
	srv := jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "token"})
	srv.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	jc, err := jira.New(jira.Config{BaseURL: ts.URL, Email: "bot@acme.io", APIToken: "token", HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return srv, jc
}

// createWith files an issue for an alert whose receiver, Sentry project,
// Guance workspace and error class are all s, and returns the labels Jira
// stored; Jira refusing the issue fails the test with Jira's message.
func createWith(t testing.TB, srv *jirasim.Server, jc *jira.Client, s string) []string {
	t.Helper()
	var labels []string
	for _, a := range []*alert.Alert{
		{Source: alert.Sentry, Fingerprint: "sentry:acme:1", Project: s, Title: "boom"},
		{Source: alert.Alertmanager, Fingerprint: "alertmanager:x:y", Receiver: s, Title: "HighErrorRate"},
		{Source: alert.Guance, Fingerprint: "guance:w:1", Org: s, Title: "errors up"},
	} {
		tk, err := (&Builder{}).Build(a, s)
		if err != nil {
			t.Fatal(err)
		}
		key, err := jc.CreateIssue(context.Background(), jira.NewIssue{Project: "OPS", IssueType: "Bug", Summary: tk.Summary, Labels: tk.Labels})
		if err != nil {
			t.Fatalf("Jira refused the issue for %q (labels %q): %v", s, tk.Labels, err)
		}
		is, ok := srv.Issue(key)
		if !ok {
			t.Fatalf("%s was created but is not in Jira", key)
		}
		for _, l := range tk.Labels {
			if !strings.Contains(" "+strings.Join(is.Labels, " ")+" ", " "+l+" ") {
				t.Errorf("label %q was sent but Jira holds %q", l, is.Labels)
			}
			if invisibleIn(l) {
				t.Errorf("label %q keeps an invisible character", l)
			}
		}
		labels = append(labels, tk.Labels...)
	}
	return labels
}

func invisibleIn(s string) bool { return strings.IndexFunc(s, invisible) >= 0 }

// Whatever a receiver, a project, a workspace or an error class holds,
// the issue can be created: its labels are ones Jira accepts.
func FuzzLabelsAreAcceptedByJira(f *testing.F) {
	for _, s := range []string{
		"payments", "team payments", "ops\r\nteam", "ops\rteam", "ops\tteam", "支付\u3000团队", "em\u2003space",
		"no\u00a0break", "thin\u2009space", "line\u2028sep", "para\u2029sep", "next\u0085line",
		"evil\u202Egnp.exe", "iso\u2066late\u2069", "zero\u200Bwidth", "joiner\u200D", "bom\uFEFF", "wj\u2060",
		"nul\x00byte", "esc\x1b[31m", "del\x7f", "\xff\xfe not UTF-8", "", " ", "\u200B", "\u202E\u2066",
		strings.Repeat("a", 300), strings.Repeat("é", 200), strings.Repeat("🔥", 100), strings.Repeat("a", 254) + "é",
		strings.Repeat("\u3000", 300), strings.Repeat("x ", 400),
	} {
		f.Add(s)
	}
	srv, jc := jiraSite(f)
	f.Fuzz(func(t *testing.T, s string) {
		createWith(t, srv, jc, s)
	})
}

func TestLabelReplacesSpacesAndControlsAndDropsInvisibles(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"team payments", "team-payments"},
		{"ops\r\nteam", "ops--team"},
		{"支付\u3000团队", "支付-团队"},
		{"em\u2003space", "em-space"},
		{"no\u00a0break", "no-break"},
		{"nul\x00byte", "nul-byte"},
		{"soft\u00adhyphen", "soft-hyphen"}, // Cf, visible in some fonts: a dash keeps it readable
		{"evil\u202Egnp.exe", "evilgnp.exe"},
		{"iso\u2066late\u2069", "isolate"},
		{"zero\u200Bwidth", "zerowidth"},
		{"bom\uFEFF", "bom"},
		{"\xff", "\uFFFD"},
		{"", fallbackLabel},
		{"\u200B\u202E", fallbackLabel},
	} {
		if got := label(tt.in); got != tt.want {
			t.Errorf("label(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLabelIsCutTo255BytesOnACharacterBoundary(t *testing.T) {
	for _, in := range []string{strings.Repeat("a", 300), strings.Repeat("é", 200), strings.Repeat("a", 254) + "é", strings.Repeat("🔥", 100)} {
		got := label(in)
		// At most 255 bytes, and at most a character's worth fewer.
		if len(got) > 255 || len(got) < 252 || !utf8.ValidString(got) || !strings.HasPrefix(in, got) {
			t.Errorf("label of %d bytes: %d bytes, valid %v, a prefix %v", len(in), len(got), utf8.ValidString(got), strings.HasPrefix(in, got))
		}
	}
	if got := label(strings.Repeat("a", 254) + "é"); got != strings.Repeat("a", 254) {
		t.Errorf("a two-byte character across the limit must go whole: %q", got)
	}
}

func TestEveryDerivedLabelGoesThroughLabel(t *testing.T) {
	a := &alert.Alert{Source: alert.Guance, Fingerprint: "guance:w:1", Project: "we b", Receiver: "pay\u3000ments", Org: "wk\rsp"}
	got := strings.Join(Labels(a, "net work"), " ")
	for _, want := range []string{"sentry-we-b", "alertmanager-pay-ments", "guance-wk-sp", "error-net-work", "guance"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("labels %q lack %q", got, want)
		}
	}
}

func TestSummaryDropsInvisibleAndControlCharacters(t *testing.T) {
	a := &alert.Alert{Project: "web\u200B", ExceptionType: "Type\u202EError", ExceptionValue: "bad\x00 \u2066value\u2069\r\nhere\uFEFF"}
	if got := Summary(a); got != "[web] TypeError: bad value here" {
		t.Errorf("summary %q", got)
	}
	b, _ := New("{{.Alert.Title}}", "")
	tk, err := b.Build(&alert.Alert{Title: "a\u202Eb\u200Dc\x1bd"}, "")
	if err != nil || tk.Summary != "abcd" {
		t.Errorf("template summary %q (%v)", tk.Summary, err)
	}
}

// Alertmanager labels named in alertmanager.jira_labels become Jira labels
// NAME-VALUE, as clean as every other label; missing ones are left out.
func TestAlertLabels(t *testing.T) {
	a := &alert.Alert{Source: alert.Alertmanager,
		CommonLabels: map[string]string{"severity": "page", "team": "pay\u3000ops", "empty": ""},
		GroupLabels:  map[string]string{"alertname": "HighErrorRate"}}
	got := AlertLabels(a, []string{"severity", "team", "alertname", "missing", "empty"})
	want := []string{"severity-page", "team-pay-ops", "alertname-HighErrorRate"}
	if !slices.Equal(got, want) {
		t.Errorf("AlertLabels = %q, want %q", got, want)
	}
}
