// Package bearer reads and checks the token of an "Authorization: Bearer"
// header (RFC 6750) and compares tokens in constant time, for every bot
// endpoint that takes a token: the Alertmanager webhook, the legacy Sentry
// plugin's ?token=, /metrics and the dashboard.
package bearer

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Token returns the token of an Authorization header value that uses the
// Bearer scheme, and false when the value is empty, uses another scheme
// or carries no token. The scheme is matched without regard to case, and
// one or more spaces may follow it (RFC 7235 section 2.1: "bearer",
// "BEARER" and "Bearer" are one scheme); white space around the token is
// not part of it.
func Token(authorization string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token := strings.TrimSpace(rest)
	return token, token != ""
}

// Valid reports whether r carries want as its bearer token, compared in
// constant time. An empty want matches nothing.
func Valid(r *http.Request, want string) bool {
	got, ok := Token(r.Header.Get("Authorization"))
	return ok && Equal(got, want)
}

// Equal compares a given secret with the configured one in constant time
// (the time depends only on the lengths); an unconfigured secret never
// matches.
func Equal(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
