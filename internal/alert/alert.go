// Package alert holds what every alert source is decoded into: one Alert
// per problem a webhook (or the bot's Guance poller) reports, keyed by a
// fingerprint that names the problem across deliveries, retries and
// replicas. No dependencies; package webhook and the poller fill it in,
// the bot acts on it.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Sources.
const (
	Sentry       = "sentry"
	Alertmanager = "alertmanager"
	Guance       = "guance"
)

// Action is what the delivery says happened to the problem.
type Action string

// The actions.
const (
	// Fired: it happened (again): a Sentry issue created or an event
	// alert triggered, an Alertmanager group firing.
	Fired Action = "fired"
	// Resolved in the source: a Sentry issue resolved, an Alertmanager
	// group resolved.
	Resolved Action = "resolved"
	// Regressed: a Sentry issue that was resolved is unresolved again.
	Regressed Action = "regressed"
	// Noted: nothing to do (assigned, archived, ...), kept for the log.
	Noted Action = "noted"
)

// Alert is one problem as one delivery reports it.
type Alert struct {
	Source      string
	Fingerprint string
	Action      Action
	// Actor is who caused the delivery, as the source says ("application"
	// names an integration, possibly fixproof itself).
	ActorType, ActorID, ActorName string

	// Where it comes from: Sentry org and project slugs; for
	// Alertmanager the receiver (and Project is empty).
	Org, Project, Receiver string

	Title          string
	ExceptionType  string
	ExceptionValue string
	Mechanism      string // e.g. "onunhandledrejection", "generic", "go.panic"
	Handled        *bool
	Frames         []Frame // as Sentry sends them: oldest call first, the crash last
	Culprit        string
	Release        string
	Environment    string
	Platform       string
	Level          string

	FirstSeen, LastSeen time.Time
	Count               int64 // events so far, as the source counts
	Users               int64 // affected users so far

	Tags        []Tag
	Breadcrumbs []Breadcrumb
	Request     *Request
	TraceID     string
	User        *User

	IssueID, ShortID, EventID     string
	IssueURL, EventURL, ReplayURL string

	// Alertmanager.
	Status       string // firing, resolved
	GroupLabels  map[string]string
	CommonLabels map[string]string
	Annotations  map[string]string
	Alerts       []Instance
	ExternalURL  string
}

// Frame is one stack frame.
type Frame struct {
	File, Function, Module string
	Line, Column           int
	InApp                  bool
}

// Tag is one Sentry tag.
type Tag struct{ Key, Value string }

// Breadcrumb is one step before the error.
type Breadcrumb struct {
	Time     time.Time
	Category string
	Type     string
	Level    string
	Message  string
	Data     []Tag
}

// Request is the HTTP request during which the error happened.
type Request struct {
	Method  string
	URL     string
	Query   string
	Headers []Tag
}

// User is who saw the error. It never reaches Jira as such: the bot
// scrubs it to a count and an id hash unless configured otherwise.
type User struct {
	ID, Email, Username, IP string
}

// Instance is one alert of an Alertmanager group.
type Instance struct {
	Status       string
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string
}

// SentryFingerprint names a Sentry issue: sentry:<org>:<issue id>.
func SentryFingerprint(org, issueID string) string {
	return "sentry:" + org + ":" + issueID
}

// GuanceFingerprint names a Guance (观测云) issue: guance:<workspace>:<uuid>.
func GuanceFingerprint(workspace, uuid string) string {
	return "guance:" + workspace + ":" + uuid
}

// AlertmanagerFingerprint names an Alertmanager group:
// alertmanager:<receiver>:<sha256 of the sorted group labels>.
func AlertmanagerFingerprint(receiver string, groupLabels map[string]string) string {
	labels := make([][2]string, 0, len(groupLabels))
	for k, v := range groupLabels {
		labels = append(labels, [2]string{k, v})
	}
	return groupFingerprint(receiver, labels)
}

// groupFingerprint is AlertmanagerFingerprint over labels in any order:
// the order the caller gives (a map's, which Go varies from run to run)
// must not matter, so the labels are sorted by name first.
func groupFingerprint(receiver string, labels [][2]string) string {
	labels = slices.Clone(labels)
	slices.SortFunc(labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	h := sha256.New()
	for _, l := range labels {
		// Length-prefixed, so {"a":"b=c"} and {"a=b":"c"} differ.
		h.Write([]byte(itoa(len(l[0])) + ":" + l[0] + "=" + itoa(len(l[1])) + ":" + l[1] + "\n"))
	}
	return "alertmanager:" + receiver + ":" + hex.EncodeToString(h.Sum(nil))
}

// Label is the Jira label that carries a fingerprint: labels cannot hold
// spaces or be longer than 255, so it is a short hash, "fixproof-fp-" and
// 16 hex digits; the full fingerprint goes in the issue property.
func Label(fingerprint string) string {
	sum := sha256.Sum256([]byte(fingerprint))
	return "fixproof-fp-" + hex.EncodeToString(sum[:8])
}

// Tag returns the value of a tag, "" when absent.
func (a *Alert) Tag(key string) string {
	for _, t := range a.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value
		}
	}
	return ""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
