// Package dashboard is the bot's read-only web page of every loop: where
// each error came from, its Jira issue, the fix that merged and whether
// production proved it, with a chart of the error rate around the merge,
// the numbers that sum them up, and a page of the bot's dead letters.
// Pages are served from what the bot's store holds: the list as Jira
// last said it, refreshed in the background, and each loop read again as
// it changes (Touch), so the dashboard stays up, saying how old its data
// is, while Jira is down.
// The state of a loop, the search, the filters and the numbers are
// decided by pure functions; the handlers only fetch and render.
package dashboard

import (
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentrylink"
)

// States lists every state a loop on the dashboard can be in, in the
// order the filter lists them. (loop.StateClosedByHand is the sweep's word
// for a watched issue a person closed; here such a loop is done.)
var States = []loop.State{loop.StateOpen, loop.StateInProgress, loop.StateWatching, loop.StateVerified,
	loop.StateUnverified, loop.StateReopened, loop.StateDone}

// Labels are the Jira labels fixproof writes.
type Labels struct {
	Bot        string // on every issue the bot created (loop.LabelBot)
	Watch      string // under verification (verify_label, loop.LabelVerify by default)
	Unverified string // verification timed out (loop.LabelUnverified)
}

// DefaultLabels are the bot's and the action's defaults.
var DefaultLabels = Labels{Bot: loop.LabelBot, Watch: loop.LabelVerify, Unverified: loop.LabelUnverified}

// Loop is one error's journey, as far as Jira knows it.
type Loop struct {
	Key, Summary string
	// Fingerprint names the problem the bot created the issue for (the
	// property's); FirstAlert is when its source first saw it, as the
	// bot's store records it (zero when unknown).
	Fingerprint string
	FirstAlert  time.Time
	Status      string
	Category    string // Jira status category: new, indeterminate, done
	Source      string // Sentry, Alertmanager, Guance or "" when unknown
	Sentry      []sentrylink.Link
	Merge       *loop.Merge
	MergedAt    time.Time
	// Deploy, Verification and Reopened are what the sweep and the bot
	// recorded in the property: when the fix reached production, what
	// the sweep decided with its evidence, when the error came back.
	Deploy       *loop.Deploy
	Verification *loop.Verification
	Reopened     []string
	// Swept is whether a sweep verified the fix and closed the issue, as
	// the property's claim and Jira's resolution time say (see
	// SweptClosed).
	Swept    bool
	State    loop.State
	Created  time.Time
	Resolved time.Time
	Labels   []string
	// Read is when this loop alone was read from Jira, because it changed
	// (see Dashboard.Touch); zero for a loop read with the whole list.
	Read time.Time `json:",omitzero"`
}

// DeployedAt is when the fix reached production, zero when no deploy is
// recorded.
func (l Loop) DeployedAt() time.Time {
	if l.Deploy == nil {
		return time.Time{}
	}
	at, _ := time.Parse(time.RFC3339, l.Deploy.At)
	return at
}

// FromDetail reads a loop out of a Jira issue and its fixproof property.
func FromDetail(d jira.Detail, l Labels, org string) Loop {
	lp := Loop{Key: d.Key, Summary: d.Summary, Status: d.Status, Category: d.Category, Created: d.Created,
		Resolved: d.Resolved, Labels: d.Labels, Source: SourceOf(d.Labels)}
	if raw, ok := d.Properties[loop.PropertyKey]; ok {
		if p, err := loop.ParseProperty(raw); err == nil {
			lp.Fingerprint = p.Fingerprint
			lp.Sentry = sentrylink.FromProperty(p, org)
			if p.Merge != nil {
				lp.Merge = p.Merge
				lp.MergedAt, _ = time.Parse(time.RFC3339, p.Merge.At)
			}
			lp.Swept = SweptClosed(p.Closing, d.Resolved)
			lp.Deploy, lp.Verification, lp.Reopened = p.Deploy, p.Verification, p.Reopened
		}
	}
	lp.State = Classify(d.Labels, d.Category, lp.Merge != nil, lp.Swept, l)
	return lp
}

// claimSlack is how long after its claim a sweep's close may land in
// Jira. A sweep records its claim in the property and moves the issue
// right after; an issue resolved later than this after the claim was
// closed again by someone else (reopened by a regression since, say, and
// closed by hand), and the old claim does not make that a verification.
const claimSlack = time.Hour

// SweptClosed reports whether the fixproof property's claim says a sweep
// verified the fix and closed the issue. The claim (Closing) is written
// only by a sweep that verified the fix, right before it closes the
// issue; a person closing the issue leaves none. When Jira records when
// the issue was resolved, that must not be long after the claim. A claim
// whose time cannot be read still counts: the sweep wrote it.
func SweptClosed(c *loop.Claim, resolved time.Time) bool {
	if c == nil {
		return false
	}
	at, err := time.Parse(time.RFC3339, c.At)
	if err != nil || resolved.IsZero() {
		return true
	}
	return !resolved.After(at.Add(claimSlack))
}

// SourceOf names where an issue's alerts came from, by the labels the bot
// gives it.
func SourceOf(labels []string) string {
	for _, l := range labels {
		switch {
		case strings.HasPrefix(l, "sentry-"):
			return "Sentry"
		case strings.HasPrefix(l, "alertmanager-"):
			return "Alertmanager"
		case l == "guance":
			return "Guance"
		}
	}
	return ""
}

// Classify decides a loop's state from its labels, its status category,
// whether a fix merged and whether a sweep verified it and closed the
// issue (swept). A done issue is verified only when the sweep closed it:
// closed by a person, merged fix or not, it is done.
func Classify(labels []string, category string, merged, swept bool, l Labels) loop.State {
	has := func(want string) bool {
		for _, x := range labels {
			if strings.EqualFold(x, want) {
				return true
			}
		}
		return false
	}
	switch {
	case has(l.Unverified):
		return loop.StateUnverified
	case has(l.Watch):
		return loop.StateWatching
	case category == "done" && merged && swept:
		return loop.StateVerified
	case category == "done":
		return loop.StateDone
	case merged:
		return loop.StateReopened
	case category == "indeterminate":
		return loop.StateInProgress
	}
	return loop.StateOpen
}

// Project is the Jira project of the loop's issue: its key's prefix.
func (l Loop) Project() string {
	p, _, _ := strings.Cut(l.Key, "-")
	return p
}

// Start is when the loop began: the first alert when the store knows it
// and it came before the issue, else the creation.
func (l Loop) Start() time.Time {
	if !l.FirstAlert.IsZero() && l.FirstAlert.Before(l.Created) {
		return l.FirstAlert
	}
	return l.Created
}

// VerifiedAt is when a sweep verified the fix in production: the
// decision it recorded, else, for issues from before the property held
// it, Jira's resolution of an issue the sweep closed. Zero when the fix
// was never verified.
func (l Loop) VerifiedAt() time.Time {
	if v := l.Verification; v != nil {
		if v.State != loop.StateVerified {
			return time.Time{}
		}
		at, _ := time.Parse(time.RFC3339, v.At)
		return at
	}
	if l.Swept {
		return l.Resolved
	}
	return time.Time{}
}

// UnverifiedAt is when a sweep gave up on the fix: the error rate did
// not fall in time. Zero when it did not.
func (l Loop) UnverifiedAt() time.Time {
	if v := l.Verification; v != nil && v.State == loop.StateUnverified {
		at, _ := time.Parse(time.RFC3339, v.At)
		return at
	}
	return time.Time{}
}

// ReopenedWithin reports whether the error came back within d of the
// fix's verification: a fix that did not hold.
func (l Loop) ReopenedWithin(d time.Duration) bool {
	from := l.VerifiedAt()
	if from.IsZero() {
		return false
	}
	for _, r := range l.Reopened {
		at, err := time.Parse(time.RFC3339, r)
		if err == nil && !at.Before(from) && at.Sub(from) <= d {
			return true
		}
	}
	return false
}
