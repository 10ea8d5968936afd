package typo

import "testing"

// A near key is a typo of it; a distant one is not a guess.
func TestNearestKeyIsATypoNotAGuess(t *testing.T) {
	keys := []string{"base_url", "email", "api_token", "project", "issue_type", "labels"}
	for _, tt := range []struct{ typo, want string }{
		{"projct", "project"},
		{"Project", "project"},
		{"emial", "email"},
		{"issuetype", "issue_type"},
		{"api-token", "api_token"},
		{"url", ""},
		{"priority", ""},
		{"x", ""},
	} {
		if got := Nearest(tt.typo, keys); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.typo, got, tt.want)
		}
	}
}
