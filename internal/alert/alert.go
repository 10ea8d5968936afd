// Package alert holds what every alert source is decoded into: one Alert
// per problem a webhook (or the bot's Guance poller) reports, keyed by a
// fingerprint that names the problem across deliveries, retries and
// replicas. No dependencies; package webhook and the poller fill it in,
// the bot acts on it.
package alert

import (
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
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
	Fingerprint loop.Fingerprint
	Action      Action
	// Actor is who caused the delivery, as the source says ("application"
	// names an integration, possibly fixproof itself).
	ActorType, ActorID, ActorName string

	// Where it comes from: Sentry org and project slugs; for
	// Alertmanager the receiver (and Project is empty).
	Org, Project, Receiver string
	// ProjectID is the Sentry project's numeric id, when the payload
	// gives it (what Sentry's sessions and releases endpoints take).
	ProjectID string

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

// Tag returns the value of a tag, "" when absent.
func (a *Alert) Tag(key string) string {
	for _, t := range a.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value
		}
	}
	return ""
}
