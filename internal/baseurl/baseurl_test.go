package baseurl

import "testing"

func TestParse(t *testing.T) {
	r := Rule{Service: "svc", Default: "https://api.example.com", APIPath: "/api/0", Names: "site", Credential: "token"}
	tests := []struct{ raw, want, err string }{
		{"", "https://api.example.com", ""},
		{"https://sentry.acme.io/", "https://sentry.acme.io", ""},
		{"http://127.0.0.1:9000/prefix/", "http://127.0.0.1:9000/prefix", ""},
		{"ftp://x", "", `svc: base URL "ftp://x": want an http or https URL`},
		{"https://", "", `svc: base URL "https://" has no host`},
		{"https://u:p@x.io", "", "svc: base URL must not carry credentials; use the token"},
		{"https://x.io/?a=1", "", `svc: base URL "https://x.io/?a=1" must not have a query or fragment`},
		{"https://x.io/api/0/", "", `svc: base URL "https://x.io/api/0/": give the site (without /api/0)`},
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
