package bearer

import (
	"net/http/httptest"
	"testing"
)

func TestTokenAcceptsTheSchemeInAnyCase(t *testing.T) {
	for _, tt := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer s3cret", "s3cret", true},
		{"bearer s3cret", "s3cret", true},
		{"BEARER s3cret", "s3cret", true},
		{"bEaReR s3cret", "s3cret", true},
		{"Bearer   s3cret ", "s3cret", true}, // 1*SP, and surrounding white space is not the token's
		{"Bearer abc.DEF-_~+/=", "abc.DEF-_~+/=", true},
		{"Basic czNjcmV0", "", false},
		{"Bearers s3cret", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"s3cret", "", false},
		{"", "", false},
	} {
		token, ok := Token(tt.header)
		if token != tt.token || ok != tt.ok {
			t.Errorf("Token(%q) = %q, %v; want %q, %v", tt.header, token, ok, tt.token, tt.ok)
		}
	}
}

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		header, want string
		ok           bool
	}{
		{"bearer s3cret", "s3cret", true},
		{"Bearer s3cret", "other", false},
		{"Bearer s3cre", "s3cret", false},
		{"", "", false},
		{"Bearer ", "", false}, // no token configured: nothing opens it
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := Valid(r, tt.want); got != tt.ok {
			t.Errorf("Valid(%q, %q) = %v, want %v", tt.header, tt.want, got, tt.ok)
		}
	}
}
