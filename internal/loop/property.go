package loop

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// PropertyKey is the Jira issue property fixproof keeps its state in.
const PropertyKey = "fixproof"

// Property is the `fixproof` issue property, its whole schema: the
// problem the bot created the issue for, the Sentry issues it is linked to,
// the merge that fixed it and a sweep's claim on it. It is read and written
// only through this type, which keeps the fields it does not know.
type Property struct {
	// Fingerprint names the problem the bot created the issue for.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Sentry are the linked Sentry issues.
	Sentry []SentryRef `json:"sentry,omitempty"`
	// LinksRead is when the issue's remote links were last read into
	// Sentry (RFC 3339), so a sweep reads them again at most once a day.
	LinksRead string `json:"links_read,omitempty"`
	// Merge is the merge that fixed the issue, recorded by the PR action.
	Merge *Merge `json:"merge,omitempty"`
	// Deploy is when the merge first reached the verified environment,
	// recorded by the sweep the first time it finds it, so later sweeps do
	// not look it up again.
	Deploy *Deploy `json:"deploy,omitempty"`
	// Closing marks an issue a sweep has claimed (by transitioning it) and
	// not yet finished with, so a later sweep can complete the work.
	Closing *Claim `json:"closing,omitempty"`
	// Verification is what the sweep decided, with its evidence.
	Verification *Verification `json:"verification,omitempty"`
	// Reopened are the times (RFC 3339) the bot reopened the issue because
	// its error came back.
	Reopened []string `json:"reopened,omitempty"`
	// Extra keeps fields written by newer versions or other tools.
	Extra map[string]json.RawMessage `json:"-"`
}

// SentryRef is one Sentry issue in the property, as the bot or another
// tool wrote it (sentrylink reads it into a checked link).
type SentryRef struct {
	Org     string `json:"org,omitempty"`
	IssueID ID     `json:"issue_id"`
	// Project is the issue's project's numeric id, when known: what the
	// sweep divides by traffic of and asks releases of, without reading
	// the issue.
	Project ID `json:"project_id,omitempty"`
}

// ID is a Sentry issue id as other tools write it: a number or a string.
// Entries that are neither are kept as written.
type ID string

var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

// Numeric reports whether the id is a number, as Sentry's issue ids are.
func (id ID) Numeric() bool { return digits.MatchString(string(id)) }

// UnmarshalJSON accepts a JSON number or string.
func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*id = ID(s)
		return nil
	}
	*id = ID(strings.TrimSpace(string(b)))
	return nil
}

// MarshalJSON writes a numeric id as a number, as Sentry does.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.Numeric() {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}

// Merge is the merge that fixed the issue.
type Merge struct {
	At string `json:"at"` // RFC 3339
	// OpenedAt is when its pull request was opened (RFC 3339).
	OpenedAt string `json:"opened_at,omitempty"`
	Commit   string `json:"commit"`
	Repo     string `json:"repo"`
	PR       int    `json:"pr"`
	URL      string `json:"url"`
}

// Deploy is the earliest successful deployment to an environment that
// contains a merge commit.
type Deploy struct {
	At          string `json:"at"`          // RFC 3339
	Commit      string `json:"commit"`      // the deployed commit (the merge or a descendant)
	Environment string `json:"environment"` // e.g. production
	// Source is where it was found: DeploySourceGitHub or DeploySourceSentry.
	Source string `json:"source"`
	// Ref names it in its source: "deployment #812", "release 1.4.2".
	Ref string `json:"ref,omitempty"`
	URL string `json:"url,omitempty"`
}

// The sources a deploy is found in.
const (
	DeploySourceGitHub = "github"
	DeploySourceSentry = "sentry"
)

// Verification is a sweep's decision on a fix: verified or unverified, when,
// and the evidence in the sentences every comment leads with.
type Verification struct {
	State    State    `json:"state"`
	At       string   `json:"at"` // RFC 3339
	Evidence []string `json:"evidence,omitempty"`
}

// Claim is a sweep's claim on an issue it verified.
type Claim struct {
	Run string `json:"run"`
	At  string `json:"at"` // RFC 3339
}

// known are the property's fields this type reads; the rest go to Extra.
var known = []string{"fingerprint", "sentry", "links_read", "merge", "deploy", "closing", "verification", "reopened"}

// ParseProperty reads the property (nil or JSON null is an empty one),
// keeping unknown fields.
func ParseProperty(raw json.RawMessage) (Property, error) {
	var p Property
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("%s property: %w", PropertyKey, err)
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(raw, &all) == nil {
		for _, k := range known {
			delete(all, k)
		}
		if len(all) > 0 {
			p.Extra = all
		}
	}
	return p, nil
}

// MarshalJSON writes the property with any unknown fields it was read with.
func (p Property) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, v := range p.Extra {
		out[k] = v
	}
	if p.Fingerprint != "" {
		out["fingerprint"] = p.Fingerprint
	}
	if len(p.Sentry) > 0 {
		out["sentry"] = p.Sentry
	}
	if p.LinksRead != "" {
		out["links_read"] = p.LinksRead
	}
	if p.Merge != nil {
		out["merge"] = p.Merge
	}
	if p.Deploy != nil {
		out["deploy"] = p.Deploy
	}
	if p.Closing != nil {
		out["closing"] = p.Closing
	}
	if p.Verification != nil {
		out["verification"] = p.Verification
	}
	if len(p.Reopened) > 0 {
		out["reopened"] = p.Reopened
	}
	return json.Marshal(out)
}
