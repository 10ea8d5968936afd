package baseurl

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	r := Rule{Service: "svc", Default: "https://api.example.com", APIPath: "/api/0", Names: "site", Credential: "token"}
	tests := []struct{ raw, want, err string }{
		{"", "https://api.example.com", ""},
		{"https://sentry.acme.io/", "https://sentry.acme.io", ""},
		{"http://127.0.0.1:9000/prefix/", "http://127.0.0.1:9000/prefix", ""},
		{"https://sentry.acme.io/api/0-archive", "https://sentry.acme.io/api/0-archive", ""},
		{"ftp://x", "", `svc: base URL "ftp://x": want an http or https URL`},
		{"ftp://u:secret@x", "", `svc: base URL "ftp://u:xxxxx@x": want an http or https URL`},
		{"https://", "", `svc: base URL "https://" has no host`},
		{"https://u:p@x.io", "", "svc: base URL must not carry credentials; use the token"},
		{"https://x.io/?a=1", "", `svc: base URL "https://x.io/?a=1" must not have a query or fragment`},
		{"https://x.io/api/0/", "", `svc: base URL "https://x.io/api/0/": give the site (without /api/0)`},
		{"https://x.io/api/0/organizations/acme/", "", `svc: base URL "https://x.io/api/0/organizations/acme/": give the site (without /api/0)`},
		{"://bad", "", `svc: base URL: parse "://bad": missing protocol scheme`},
	}
	for _, tt := range tests {
		got, err := r.Parse(tt.raw)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if got != tt.want || msg != tt.err {
			t.Errorf("Parse(%q) = %q, %q; want %q, %q", tt.raw, got, msg, tt.want, tt.err)
		}
	}
}

func TestParseWithoutAnAPIPathTakesAnyPath(t *testing.T) {
	r := Rule{Service: "svc", Names: "site", Credential: "token"}
	for _, raw := range []string{"https://jira.acme.io", "https://acme.io/jira/"} {
		if _, err := r.Parse(raw); err != nil {
			t.Errorf("Parse(%q) = %v", raw, err)
		}
	}
}

// Settings word their message themselves and name their key: the error
// says what is wrong, and whether it is an http(s) URL at all.
func TestErrorsSayWhatIsWrongForSettingsToWord(t *testing.T) {
	r := Rule{Service: "svc", APIPath: "/api/0", Names: "site", Credential: "token"}
	for _, tt := range []struct {
		raw     string
		problem Problem
		notURL  bool
		detail  string
	}{
		{"://bad", Unparsable, true, `base URL: parse "://bad": missing protocol scheme`},
		{"acme.io", NotHTTP, true, `base URL "acme.io": want an http or https URL`},
		{"https://", NoHost, true, `base URL "https://" has no host`},
		{"https://u:p@x.io", Credentials, false, "base URL must not carry credentials; use the token"},
		{"https://x.io/#top", QueryOrFragment, false, `base URL "https://x.io/#top" must not have a query or fragment`},
		{"https://x.io/api/0", APIPath, false, `base URL "https://x.io/api/0": give the site (without /api/0)`},
	} {
		_, err := r.Parse(tt.raw)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q) = %v, want an *Error", tt.raw, err)
		}
		if e.Problem != tt.problem || e.NotAnHTTPURL() != tt.notURL || e.Detail() != tt.detail {
			t.Errorf("Parse(%q): problem %d, not a URL %v, detail %q; want %d, %v, %q", tt.raw, e.Problem, e.NotAnHTTPURL(), e.Detail(), tt.problem, tt.notURL, tt.detail)
		}
	}
}
