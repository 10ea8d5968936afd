package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fixproof/fixproof/internal/store"
)

// metrics are the bot's Prometheus collectors, registered on the bot's own
// registry so tests and several bots in one process do not collide.
type metrics struct {
	webhooks   *prometheus.CounterVec   // by source and result
	latency    *prometheus.HistogramVec // time to the answer, by source
	jobs       *prometheus.CounterVec   // batches processed, by result
	alerts     *prometheus.CounterVec   // alerts processed, by outcome
	created    prometheus.Counter
	escalated  prometheus.Counter
	suppressed prometheus.Counter
	serviceUp  *prometheus.GaugeVec // by service, from the checks at start
	// The sweep run inside the bot (GitHub App mode).
	sweeps       *prometheus.CounterVec // by result: done, failed
	sweepSeconds prometheus.Histogram
	swept        *prometheus.GaugeVec // the last sweep's issues, by result
}

func newMetrics(reg prometheus.Registerer, st store.Store, now func() time.Time) *metrics {
	m := &metrics{
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixproof_webhooks_total",
			Help: "Webhook deliveries by source and result (accepted, duplicate, ignored, unauthorized, bad_request, too_old, too_large, unsupported_media_type, unavailable)."}, []string{"source", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fixproof_webhook_seconds",
			Help:    "Time from receiving a webhook to answering it (the delivery is stored before a 2xx).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"source"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixproof_batches_total",
			Help: "Batches of one fingerprint's deliveries processed, by result (done, retried, lease_lost)."}, []string{"result"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixproof_alerts_total",
			Help: "Alerts processed, by outcome (counted, suppressed, undecodable)."}, []string{"outcome"}),
		created:    prometheus.NewCounter(prometheus.CounterOpts{Name: "fixproof_jira_issues_created_total", Help: "Jira issues created."}),
		escalated:  prometheus.NewCounter(prometheus.CounterOpts{Name: "fixproof_escalations_total", Help: "Priority raises."}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{Name: "fixproof_suppressed_total", Help: "Alerts suppressed by a silence or mute_after_close (counted, never dropped)."}),
		serviceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fixproof_service_up",
			Help: "Whether each service (jira, sentry, guance) passed the checks of fixproof bot check when the bot started: 1 yes, 0 no (the log says why)."}, []string{"service"}),
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixproof_sweeps_total",
			Help: "Verification sweeps run by this replica, by result (done, failed)."}, []string{"result"}),
		sweepSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fixproof_sweep_seconds",
			Help: "How long each verification sweep took.", Buckets: prometheus.ExponentialBuckets(0.5, 2, 12)}),
		swept: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fixproof_sweep_issues",
			Help: "Issues of the last sweep this replica ran, by result (verified, waiting, unverified, released, error)."}, []string{"result"}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fixproof_queue_ready", Help: "Deliveries ready to process."},
		stat(st, now, func(s store.Stats) float64 { return float64(s.Ready) }))
	delayed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fixproof_queue_delayed", Help: "Deliveries waiting for a retry or a deferred update."},
		stat(st, now, func(s store.Stats) float64 { return float64(s.Delayed) }))
	dead := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fixproof_dead_letters", Help: "Deliveries that failed for good (see the logs and the dead_jobs table)."},
		stat(st, now, func(s store.Stats) float64 { return float64(s.Dead) }))
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fixproof_queue_oldest_seconds", Help: "Age of the oldest ready delivery."},
		stat(st, now, func(s store.Stats) float64 {
			if s.OldestReady.IsZero() {
				return 0
			}
			return now().Sub(s.OldestReady).Seconds()
		}))
	reg.MustRegister(m.webhooks, m.latency, m.jobs, m.alerts, m.created, m.escalated, m.suppressed, m.serviceUp, m.sweeps, m.sweepSeconds, m.swept,
		queue, delayed, dead, age)
	return m
}

func stat(st store.Store, now func() time.Time, f func(store.Stats) float64) func() float64 {
	return func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := st.Stats(ctx, now())
		if err != nil {
			return -1
		}
		return f(s)
	}
}
