// Package baseurl checks the base URL a client is configured with: http or
// https, a host, no credentials, no query, and the site rather than its
// API path. Each client gives a Rule naming its service, so the checks are
// alike and the errors say which setting to fix.
package baseurl

import (
	"fmt"
	"net/url"
	"strings"
)

// Rule is one service's expectations, for its error messages.
type Rule struct {
	Service    string // prefixes errors: "sentry"
	Default    string // used when the URL is empty
	APIPath    string // what a user must not append: "/api/0"; empty: no API path to refuse
	Names      string // what to give instead: "site", "endpoint"
	Credential string // what carries the credentials: "token", "API key"
}

// Problem is what is wrong with a base URL.
type Problem int

// The problems, in the order they are looked for.
const (
	Unparsable Problem = iota + 1
	NotHTTP
	NoHost
	Credentials
	QueryOrFragment
	APIPath // the URL is (or is inside) the service's API root
)

// Error is a base URL that breaks a Rule. Settings name their own key
// with Detail; Error names the service.
type Error struct {
	Rule    Rule
	Problem Problem
	// URL is the URL as given, its password (if any) masked.
	URL string
	// Err is url.Parse's error, for Unparsable.
	Err error
}

// Error is the service, then Detail: "sentry: base URL ...".
func (e *Error) Error() string { return e.Rule.Service + ": " + e.Detail() }

// Detail says what is wrong without naming the service, for a message
// that names the setting instead.
func (e *Error) Detail() string {
	switch e.Problem {
	case Unparsable:
		return "base URL: " + e.Err.Error()
	case NotHTTP:
		return fmt.Sprintf("base URL %q: want an http or https URL", e.URL)
	case NoHost:
		return fmt.Sprintf("base URL %q has no host", e.URL)
	case Credentials:
		// The URL is not repeated: it carries a secret.
		return "base URL must not carry credentials; use the " + e.Rule.Credential
	case QueryOrFragment:
		return fmt.Sprintf("base URL %q must not have a query or fragment", e.URL)
	}
	return fmt.Sprintf("base URL %q: give the %s (without %s)", e.URL, e.Rule.Names, e.Rule.APIPath)
}

// Unwrap is url.Parse's error, if that is the problem.
func (e *Error) Unwrap() error { return e.Err }

// NotAnHTTPURL reports whether the URL is not an http(s) URL with a host
// at all, as opposed to one that breaks the rule's finer points: settings
// word the two differently.
func (e *Error) NotAnHTTPURL() bool {
	return e.Problem == Unparsable || e.Problem == NotHTTP || e.Problem == NoHost
}

// Parse checks raw and returns it without a trailing slash. Its errors are
// *Error values.
func (r Rule) Parse(raw string) (string, error) {
	if raw == "" {
		raw = r.Default
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", &Error{Rule: r, Problem: Unparsable, URL: raw, Err: err}
	}
	shown := raw
	if u.User != nil {
		shown = u.Redacted()
	}
	fail := func(p Problem) (string, error) { return "", &Error{Rule: r, Problem: p, URL: shown} }
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fail(NotHTTP)
	case u.Host == "":
		return fail(NoHost)
	case u.User != nil:
		return fail(Credentials)
	case u.RawQuery != "" || u.Fragment != "":
		return fail(QueryOrFragment)
	}
	base := strings.TrimRight(u.String(), "/")
	if r.APIPath != "" && (strings.HasSuffix(base, r.APIPath) || strings.Contains(u.Path, r.APIPath+"/")) {
		return fail(APIPath)
	}
	return base, nil
}
