package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fixproof/fixproof/internal/sweep"
)

// Sweeper is a GitHub App that runs the verification sweep
// (*githubapp.App).
type Sweeper interface {
	Sweep(ctx context.Context) (*sweep.Report, error)
}

// The store's names for the sweep: its lease, when the last one started,
// and when a deploy last asked for one.
const (
	sweepLease  = "sweep:github"
	sweepLast   = "sweep:github:last"
	sweepWakeAt = "sweep:github:wake"
)

// sweepTick is how often each replica looks whether a sweep is due.
const sweepTick = time.Minute

// runSweep runs the verification sweep every sweep.interval, and sooner
// when a deployment_status webhook asks, in one replica at a time: the
// time of the last sweep and of the last request are in the store, so
// the replicas between them sweep once per interval, and a lease keeps
// two from sweeping at once.
func (b *Bot) runSweep(ctx context.Context) {
	sw, ok := b.GitHubApp.(Sweeper)
	if !ok || b.Config.Sweep.Interval.D() <= 0 {
		return
	}
	tick := sweepTick
	if b.SweepTick > 0 {
		tick = b.SweepTick
	}
	for {
		if err := b.sweepIfDue(ctx, sw); err != nil && ctx.Err() == nil {
			b.Log.Warn("sweep failed; the next tick tries again", "error", err.Error())
		}
		if !pause(ctx, tick) {
			return
		}
	}
}

// sweepIfDue sweeps when the last sweep is older than the interval or a
// deploy asked for one since, and no other replica is sweeping.
func (b *Bot) sweepIfDue(ctx context.Context, sw Sweeper) error {
	now := b.Now()
	last, err := b.cursorTime(ctx, sweepLast)
	if err != nil {
		return err
	}
	wake, err := b.cursorTime(ctx, sweepWakeAt)
	if err != nil {
		return err
	}
	if !sweepDue(now, last, wake, b.Config.Sweep.Interval.D()) {
		return nil
	}
	// The lease outlasts a long sweep; the sweeper gives it up at the end.
	if ok, err := b.Store.TryLease(ctx, sweepLease, b.Owner, now, now.Add(sweepHold)); err != nil || !ok {
		return err
	}
	defer func() { _, _ = b.Store.TryLease(context.WithoutCancel(ctx), sweepLease, b.Owner, now, now) }()
	if err := b.setCursorTime(ctx, sweepLast, now); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, sweepHold)
	defer cancel()
	started := time.Now()
	rep, err := sw.Sweep(sctx)
	b.metrics.sweepSeconds.Observe(time.Since(started).Seconds())
	if err != nil {
		b.metrics.sweeps.WithLabelValues("failed").Inc()
		return err
	}
	b.metrics.sweeps.WithLabelValues("done").Inc()
	c := rep.Counts
	for result, n := range map[string]int{"verified": c.Verified, "waiting": c.Waiting, "unverified": c.Unverified, "released": c.Released, "error": c.Errors} {
		b.metrics.swept.With(prometheus.Labels{"result": result}).Set(float64(n))
	}
	for _, o := range rep.Outcomes {
		b.Log.Debug("swept", "jira_key", o.Key, "state", string(o.State), "failed", o.Failed, "reason", o.Reason)
	}
	b.Log.Info("sweep done", "issues", c.Seen, "verified", c.Verified, "waiting", c.Waiting, "unverified", c.Unverified,
		"released", c.Released, "errors", c.Errors, "took", time.Since(started).Round(time.Millisecond).String())
	return nil
}

// sweepHold bounds a sweep, and how long its lease holds.
const sweepHold = 30 * time.Minute

// sweepDue decides whether to sweep at now: never swept, the interval
// passed since the last sweep started, or a deploy asked after it.
func sweepDue(now, last, wake time.Time, interval time.Duration) bool {
	return last.IsZero() || !now.Before(last.Add(interval)) || wake.After(last)
}

// wakeSweep asks for a sweep soon (a deploy may have shipped a fix); every
// replica sees it at its next tick.
func (b *Bot) wakeSweep(ctx context.Context) error {
	return b.setCursorTime(ctx, sweepWakeAt, b.Now())
}
