package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/store"
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

// fail puts a failed batch back, or into the dead letters, as planRetry
// decides, and says why in one log line.
func (b *Bot) fail(ctx context.Context, r *run, err error) {
	kind := classify(err, b.jiraHost)
	attempts := 0
	for _, j := range r.batch.Jobs {
		attempts = max(attempts, j.Attempts)
	}
	var lagUntil time.Time
	var lag *lagError
	if errors.As(err, &lag) {
		lagUntil = lag.Until
	}
	plan := planRetry(kind, kind == unavailable && b.jiraUp(ctx), attempts, r.base.Outages, lagUntil, r.now, rand.Float64())
	keep := durable(r.base, r.st)
	if plan.Uncounted && kind == unavailable {
		keep.Outages = r.base.Outages + 1
	}
	dies := plan.Dead || !plan.Uncounted && b.Config.MaxAttempts > 0 && attempts+1 >= b.Config.MaxAttempts
	logFailure(r.log, kind, plan, dies, attempts+1, err)
	f := store.Failure{Error: err.Error(), NotBefore: r.now.Add(plan.Wait), Uncounted: plan.Uncounted, MaxAttempts: b.Config.MaxAttempts, Dead: plan.Dead}
	if rerr := b.Store.Retry(ctx, r.batch, r.key, mustJSON(keep), f); rerr != nil {
		b.leaseError(r.log, rerr)
		return
	}
	b.metrics.jobs.WithLabelValues("retried").Inc()
}

// jiraUp asks Jira one cheap question: an answer tells a request Jira
// fails on its own (which counts, so a poison delivery ends) from an
// outage (which waits, uncounted).
func (b *Bot) jiraUp(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := b.Jira.Myself(ctx)
	return err == nil
}

// logFailure says in one line what became of a failed batch and why.
func logFailure(log *slog.Logger, kind failure, plan retryPlan, dies bool, attempt int, err error) {
	switch {
	case dies:
		why := "Jira refused the request as invalid"
		if !plan.Dead {
			why = fmt.Sprintf("failed %d times (max_attempts)", attempt)
		}
		log.Error("dead letter: "+why+"; the deliveries are kept in the dead letters (table dead_jobs, metric fixproof_dead_letters, the dashboard); fix the cause, then run fixproof bot redrive",
			"error", err.Error(), "attempts", attempt)
	case kind == lagging:
		log.Info("waiting for Jira's search before creating again", "error", err.Error(), "retry_in", plan.Wait.String())
	case plan.Uncounted:
		log.Warn("Jira is unavailable; will retry without counting an attempt", "error", err.Error(), "retry_in", plan.Wait.String())
	default:
		log.Warn("batch failed; will retry", "error", err.Error(), "attempt", attempt, "retry_in", plan.Wait.String())
	}
}

// leaseError logs a batch's end that the store refused.
func (b *Bot) leaseError(log *slog.Logger, err error) {
	if errors.Is(err, store.ErrLeaseLost) {
		b.metrics.jobs.WithLabelValues("lease_lost").Inc()
		log.Warn("lease lost: another worker took this fingerprint over; it redoes the batch")
		return
	}
	log.Error("store: finishing a batch", "error", err.Error())
}
