package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
)

// failure is what a failed batch's error says about trying again.
type failure int

const (
	// counted: an ordinary failure, one attempt toward max_attempts.
	counted failure = iota
	// permanent: Jira refused the request as invalid (400); sending it
	// again cannot help, so the deliveries go to the dead letters at once
	// with Jira's message, to be redriven once the cause is fixed.
	permanent
	// unavailable: Jira answered 429 or 5xx, timed out or could not be
	// reached. Whether that counts depends on whether Jira is down for
	// everyone (an outage: wait, uncounted) or only for this request.
	unavailable
	// lagging: a create may have happened and Jira's search does not show
	// it yet; wait for the search, uncounted.
	lagging
)

// classify reads a batch's error. jiraHost is Jira's host, to tell a
// network error talking to Jira from one talking to Sentry or Guance
// (those count: Jira is the bot's own concern).
func classify(err error, jiraHost string) failure {
	var lag *lagError
	if errors.As(err, &lag) {
		return lagging
	}
	var api *jira.APIError
	if errors.As(err, &api) {
		switch {
		case api.Status == http.StatusBadRequest:
			return permanent
		case api.Status == http.StatusTooManyRequests || api.Status >= 500:
			return unavailable
		}
		return counted
	}
	if jiraHost != "" && transportTo(err, jiraHost) {
		return unavailable
	}
	return counted
}

// transportTo reports whether err is a failure to talk to host at all: a
// timeout, a refused or cut connection (net/http reports those, and only
// those, as *url.Error).
func transportTo(err error, host string) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	u, perr := url.Parse(ue.URL)
	return perr == nil && strings.EqualFold(u.Host, host)
}

// lagError asks for the batch to wait, uncounted, until Until: a create
// may have made an issue (cause is how it failed) that Jira's search does
// not show yet.
type lagError struct {
	Until time.Time
	Cause string
}

func (e *lagError) Error() string {
	return "waiting until " + e.Until.UTC().Format(time.RFC3339) +
		" for Jira's search to show the issue an earlier create may have made (" + e.Cause + ")"
}

// retryPlan is what becomes of a failed batch.
type retryPlan struct {
	Wait      time.Duration
	Uncounted bool
	Dead      bool
}

// planRetry decides a failed batch's fate: kind from classify, jiraUp
// from a probe of Jira (asked only for unavailable), attempts the most
// any job of the batch has failed, outages the uncounted waits in a row.
func planRetry(kind failure, jiraUp bool, attempts, outages int, lagUntil, now time.Time, jitter float64) retryPlan {
	switch kind {
	case permanent:
		return retryPlan{Dead: true}
	case lagging:
		return retryPlan{Wait: max(lagUntil.Sub(now), time.Second), Uncounted: true}
	case unavailable:
		if !jiraUp {
			return retryPlan{Wait: backoff(outages, jitter), Uncounted: true}
		}
	}
	return retryPlan{Wait: backoff(attempts, jitter)}
}

// backoff grows with n, up to 5 minutes, with jitter in [0,1) so a
// recovering Jira is not hit by every retry at once.
func backoff(n int, jitter float64) time.Duration {
	d := 2 * time.Second << min(n, 8)
	d = min(d, 5*time.Minute)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// mayHaveCreated reports whether a create that failed with err may still
// have made the issue: Jira may have acted on a request that timed out,
// whose connection was cut after it was sent, or that a gateway answered
// 502 or 504. A plain 4xx or 500, a 429 or 503 (refused before acting) and
// a connection never made did not.
func mayHaveCreated(err error) bool {
	var api *jira.APIError
	if errors.As(err, &api) {
		return api.Status == http.StatusBadGateway || api.Status == http.StatusGatewayTimeout
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue)
}
