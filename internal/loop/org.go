package loop

import "regexp"

var orgSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// ValidOrgSlug reports whether s is a Sentry organization slug: lower-case
// letters, digits, - and _, starting with a letter or digit, at most 50
// characters. Links and settings name the organization of a SentryRef
// this way, and a slug becomes part of Sentry URLs, so anything else is
// refused before it is used.
func ValidOrgSlug(s string) bool { return orgSlug.MatchString(s) }
