package sentry

import "testing"

func TestIssueWebURLIsBuiltFromTheConfiguredSite(t *testing.T) {
	tests := []struct {
		base, org, id, want string
	}{
		{"", "acme", "101", "https://acme.sentry.io/issues/101/"},
		{"https://sentry.io", "acme", "101", "https://acme.sentry.io/issues/101/"},
		{"https://de.sentry.io", "acme", "101", "https://acme.sentry.io/issues/101/"},
		{"https://sentry.acme.example", "acme", "101", "https://sentry.acme.example/organizations/acme/issues/101/"},
		{"http://127.0.0.1:9000", "acme", "7", "http://127.0.0.1:9000/organizations/acme/issues/7/"},
		{"https://sentry.io", "acme", "101<script>", ""},
		{"https://sentry.io", "Acme/../x", "101", ""},
		{"https://sentry.io", "acme", "", ""},
	}
	for _, tt := range tests {
		c, err := New(Config{BaseURL: tt.base, Token: "t", Org: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.IssueWebURL(tt.org, tt.id); got != tt.want {
			t.Errorf("base %q: IssueWebURL(%q, %q) = %q, want %q", tt.base, tt.org, tt.id, got, tt.want)
		}
	}
}
