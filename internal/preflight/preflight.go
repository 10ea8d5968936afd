// Package preflight tries the services a bot configuration names with the
// credentials it gives, as `fixproof bot check` does and the bot does once
// at start: who Jira says the account is and whether it may create the
// configured issue types with the fields the bot sets, whether Sentry's
// token reads the organization and knows the installation, which
// workspace Guance's key belongs to, and whether the webhook secrets are
// set. Each check is one Result saying what it found or what to fix.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sentry"
)

// Status is how a check ended.
type Status int

// The statuses, from best to worst.
const (
	// Skip: nothing to check, the setting is not used (said why).
	Skip Status = iota
	// OK: the service answered as the bot needs.
	OK
	// Warn: the bot works, with something missing or unconfirmed.
	Warn
	// Fail: the bot will fail at this; the message says what to fix.
	Fail
)

// String is how `fixproof bot check` prints a status.
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	case Fail:
		return "FAIL"
	}
	return "skip"
}

// Result is one check.
type Result struct {
	// Service is what was checked: jira, sentry, guance (services the
	// check talks to), or webhooks (settings only).
	Service string
	Status  Status
	// Msg says what the check found; for Warn and Fail, what to fix.
	Msg string
}

// Jira is what the checks ask of Jira (*jira.Client).
type Jira interface {
	Myself(ctx context.Context) (jira.User, error)
	CreateIssueTypes(ctx context.Context, project string) ([]jira.IssueType, error)
	CreateFields(ctx context.Context, project, issueTypeID string) ([]jira.CreateField, error)
}

// Sentry is what the checks ask of Sentry (*sentry.Client).
type Sentry interface {
	Organization(ctx context.Context) (sentry.Organization, error)
	Installations(ctx context.Context) ([]sentry.Installation, error)
}

// Guance is what the checks ask of Guance (*guance.Client).
type Guance interface {
	Channels(ctx context.Context) ([]guance.Channel, error)
}

// GitHub is what the checks ask of the GitHub App (*githubapp.App).
type GitHub interface {
	Installations(ctx context.Context) ([]githubapp.Installation, error)
}

// Services are the clients of the configured services; nil for those the
// configuration leaves out (Sentry without a token, Guance without a key,
// GitHub without an app).
type Services struct {
	Jira   Jira
	Sentry Sentry
	Guance Guance
	GitHub GitHub
}

// Run checks every service cfg configures, each once, Jira first.
func Run(ctx context.Context, cfg botconfig.Config, s Services) []Result {
	var out []Result
	out = append(out, checkJira(ctx, cfg, s.Jira)...)
	out = append(out, checkSentry(ctx, cfg.Sentry, s.Sentry)...)
	out = append(out, checkGuance(ctx, cfg.Guance, s.Guance)...)
	out = append(out, checkGitHub(ctx, cfg.GitHub, s.GitHub)...)
	return append(out, checkWebhooks(cfg)...)
}

// contacted are the services a check talks to, those
// fixproof_service_up reports.
var contacted = []string{"jira", "sentry", "guance", "github"}

// Up says of each service the checks talked to whether it passed them
// all (a warning passes): what fixproof_service_up shows.
func Up(results []Result) map[string]bool {
	up := map[string]bool{}
	for _, r := range results {
		if r.Status == Skip || !slices.Contains(contacted, r.Service) {
			continue
		}
		if _, seen := up[r.Service]; !seen {
			up[r.Service] = true
		}
		if r.Status == Fail {
			up[r.Service] = false
		}
	}
	return up
}

// Failed counts the failed checks.
func Failed(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Status == Fail {
			n++
		}
	}
	return n
}

func result(service string, st Status, format string, args ...any) Result {
	return Result{Service: service, Status: st, Msg: fmt.Sprintf(format, args...)}
}

// apiStatus is the HTTP status of a refusal by Jira, Sentry, Guance or
// GitHub, and whether it refused the credentials (401, 403); 0 for an
// error without an answer (the network, a timeout).
func apiStatus(err error) (status int, auth bool) {
	var je *jira.APIError
	var se *sentry.APIError
	var ge *guance.APIError
	var gh *github.ErrorResponse
	switch {
	case errors.As(err, &gh) && gh.Response != nil:
		s := gh.Response.StatusCode
		return s, s == http.StatusUnauthorized || s == http.StatusForbidden
	case errors.As(err, &je):
		return je.Status, je.Auth()
	case errors.As(err, &se):
		return se.Status, se.Auth()
	case errors.As(err, &ge):
		return ge.Status, ge.Auth()
	}
	return 0, false
}

// sortedKeys lists a set's members in order.
func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
