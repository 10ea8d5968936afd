package sentry

import (
	"net/url"
	"strings"

	"github.com/fixproof/fixproof/internal/loop"
)

// IssueWebURL is the web page of issue id of org on the configured Sentry:
// https://ORG.sentry.io/issues/ID/ on sentry.io, BASE/organizations/ORG/
// issues/ID/ on a self-hosted one. It is built from the configured site,
// never from a URL found in text, and is "" when org is not a slug or id
// not a number, so nothing else can reach a link.
func (c *Client) IssueWebURL(org, id string) string {
	if !loop.ValidOrgSlug(org) || !loop.ID(id).Numeric() {
		return ""
	}
	u, err := url.Parse(c.api.Base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "sentry.io" || strings.HasSuffix(host, ".sentry.io") {
		return "https://" + org + ".sentry.io/issues/" + id + "/"
	}
	return u.Scheme + "://" + u.Host + "/organizations/" + org + "/issues/" + id + "/"
}
