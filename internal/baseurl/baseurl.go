// Package baseurl checks the base URL a client is configured with: http or
// https, a host, no credentials, no query, and the site rather than its
// API path. Each client gives a Rule naming its service, so the checks are
// alike and the errors say which setting to fix.
package baseurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Rule is one service's expectations, for its error messages.
type Rule struct {
	Service    string // prefixes errors: "sentry"
	Default    string // used when the URL is empty
	APIPath    string // what a user must not append: "/api/0"
	Names      string // what to give instead: "site", "endpoint"
	Credential string // what carries the credentials: "token", "API key"
}

// Parse checks raw and returns it without a trailing slash.
func (r Rule) Parse(raw string) (string, error) {
	if raw == "" {
		raw = r.Default
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: base URL: %w", r.Service, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s: base URL %q: want an http or https URL", r.Service, raw)
	case u.Host == "":
		return "", fmt.Errorf("%s: base URL %q has no host", r.Service, raw)
	case u.User != nil:
		return "", errors.New(r.Service + ": base URL must not carry credentials; use the " + r.Credential)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%s: base URL %q must not have a query or fragment", r.Service, raw)
	}
	base := strings.TrimRight(u.String(), "/")
	if strings.HasSuffix(base, r.APIPath) {
		return "", fmt.Errorf("%s: base URL %q: give the %s (without %s)", r.Service, raw, r.Names, r.APIPath)
	}
	return base, nil
}
