// Package sentrylink finds the Sentry issues a Jira issue is linked to:
// Sentry issue URLs in its description (what Sentry's own Jira integration
// writes) or in its remote links (what fixproof's bot writes), and the
// entries of the fixproof issue property (loop.Property). Pure functions;
// the action, the sweep and the dashboard read the data.
package sentrylink

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/uniq"
)

// Link names one Sentry issue.
type Link struct {
	Org     string
	IssueID string
}

func (l Link) String() string { return l.Org + "/" + l.IssueID }

// Finder knows which URLs are Sentry's: sentry.io in its forms, and the
// self-hosted address when sentry_base_url is not sentry.io.
type Finder struct {
	BaseURL string // sentry_base_url
	Org     string // sentry_org: the org of URLs that do not name one
}

var urlInText = regexp.MustCompile(`https?://[^\s<>"'\]\[()|{}\\^` + "`" + `]+`)

// InURL reads one URL: https://ORG.sentry.io/issues/ID/,
// https://sentry.io/organizations/ORG/issues/ID/, and on a self-hosted
// Sentry https://HOST/organizations/ORG/issues/ID/ or https://HOST/issues/ID/.
// Anything after the id (/events/..., ?project=...) is allowed.
func (f Finder) InURL(raw string) (Link, bool) {
	u, err := url.Parse(strings.TrimRight(raw, ".,;:!?"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return Link{}, false
	}
	org, id, ok := f.issuePath(strings.ToLower(u.Hostname()), strings.Split(strings.Trim(u.Path, "/"), "/"))
	if !ok || !loop.ID(id).Numeric() || !loop.ValidOrgSlug(org) {
		return Link{}, false
	}
	return Link{Org: org, IssueID: id}, true
}

// issuePath reads the org and issue id from a URL's (lower-case) host and
// path segments, in the forms InURL accepts; ok is false for any other.
func (f Finder) issuePath(host string, parts []string) (org, id string, ok bool) {
	if len(parts) >= 4 && parts[0] == "organizations" && parts[2] == "issues" {
		return parts[1], parts[3], isSentryIO(host) || f.selfHosted(host)
	}
	if len(parts) < 2 || parts[0] != "issues" {
		return "", "", false
	}
	switch {
	case strings.HasSuffix(host, ".sentry.io") && !isSentryIO(host):
		return strings.TrimSuffix(host, ".sentry.io"), parts[1], true
	case f.selfHosted(host):
		return f.Org, parts[1], true
	}
	return "", "", false
}

// isSentryIO is sentry.io itself and its region and www hosts, which name
// the org in the path rather than the host.
func isSentryIO(host string) bool {
	switch host {
	case "sentry.io", "www.sentry.io", "us.sentry.io", "de.sentry.io":
		return true
	}
	return false
}

func (f Finder) selfHosted(host string) bool {
	u, err := url.Parse(f.BaseURL)
	if err != nil || u.Hostname() == "" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == host && h != "sentry.io" && !strings.HasSuffix(h, ".sentry.io")
}

// InText finds every Sentry issue URL in free text (wiki markup included).
func (f Finder) InText(s string) []Link {
	var out []Link
	for _, m := range urlInText.FindAllString(s, -1) {
		if l, ok := f.InURL(m); ok {
			out = append(out, l)
		}
	}
	return uniq.Concat(out)
}

// InDescription reads a Jira description: an ADF document (Cloud) or a
// wiki markup string (Data Center). In ADF, URLs are in text nodes, in
// link marks' href and in inlineCard/blockCard nodes' url.
func (f Finder) InDescription(raw json.RawMessage) []Link {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var wiki string
	if json.Unmarshal(raw, &wiki) == nil {
		return f.InText(wiki)
	}
	var node any
	if json.Unmarshal(raw, &node) != nil {
		return nil
	}
	var texts []string
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			for _, k := range []string{"text", "href", "url"} {
				if s, ok := v[k].(string); ok {
					texts = append(texts, s)
				}
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(node)
	return f.InText(strings.Join(texts, " "))
}

// FromProperty are the Sentry issues the fixproof property lists (see
// loop.Property); defaultOrg fills in when an entry has none. Entries that
// are not a numeric id in a valid org are left out.
func FromProperty(p loop.Property, defaultOrg string) []Link {
	var out []Link
	for _, l := range p.Sentry {
		org := l.Org
		if org == "" {
			org = defaultOrg
		}
		if l.IssueID.Numeric() && loop.ValidOrgSlug(org) {
			out = append(out, Link{Org: org, IssueID: string(l.IssueID)})
		}
	}
	return out
}

// ToProperty is links as the property records them, keeping what was
// recorded of each before (its project, written by the bot or a sweep).
func ToProperty(links []Link, before []loop.SentryRef, defaultOrg string) []loop.SentryRef {
	out := make([]loop.SentryRef, len(links))
	for i, l := range links {
		out[i] = loop.SentryRef{Org: l.Org, IssueID: loop.ID(l.IssueID)}
		for _, b := range before {
			org := b.Org
			if org == "" {
				org = defaultOrg
			}
			if org == l.Org && string(b.IssueID) == l.IssueID {
				out[i].Project = b.Project
			}
		}
	}
	return out
}

// ProjectOf is the project id the property records for a link, "" when
// none.
func ProjectOf(p loop.Property, l Link, defaultOrg string) string {
	for _, r := range p.Sentry {
		org := r.Org
		if org == "" {
			org = defaultOrg
		}
		if org == l.Org && string(r.IssueID) == l.IssueID && r.Project.Numeric() {
			return string(r.Project)
		}
	}
	return ""
}

// IssueURL is the web address of a linked issue on the given Sentry.
func IssueURL(baseURL string, l Link) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" || u.Hostname() == "sentry.io" {
		return "https://" + l.Org + ".sentry.io/issues/" + l.IssueID + "/"
	}
	return strings.TrimRight(baseURL, "/") + "/organizations/" + l.Org + "/issues/" + l.IssueID + "/"
}

// ID is the numeric id, for sorting and outputs.
func (l Link) ID() int64 {
	n, _ := strconv.ParseInt(l.IssueID, 10, 64)
	return n
}
