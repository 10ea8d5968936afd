package bot

import (
	"context"

	"github.com/fixproof/fixproof/internal/preflight"
)

// runChecks tries the services once, as `fixproof bot check` does: a
// warning in the log for each check that fails or warns, each service's
// result in fixproof_service_up. The bot runs on whatever they say:
// webhooks are stored while Jira is down, and what fails is retried.
func (b *Bot) runChecks(ctx context.Context) {
	if b.Checks == nil {
		return
	}
	results := b.Checks(ctx)
	if ctx.Err() != nil {
		return // stopped before the services answered: nothing learnt
	}
	for _, r := range results {
		switch r.Status {
		case preflight.Fail:
			b.Log.Warn("service check failed", "service", r.Service, "problem", r.Msg)
		case preflight.Warn:
			b.Log.Warn("service check warns", "service", r.Service, "problem", r.Msg)
		case preflight.OK:
			b.Log.Info("service check passed", "service", r.Service, "found", r.Msg)
		}
	}
	for service, up := range preflight.Up(results) {
		v := 0.0
		if up {
			v = 1
		}
		b.metrics.serviceUp.WithLabelValues(service).Set(v)
	}
}
