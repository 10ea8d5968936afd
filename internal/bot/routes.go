package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/bearer"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/webhook"
)

// routes is every route of the bot.
func (b *Bot) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/sentry", b.timed("sentry", b.handleSentry()))
	mux.Handle("POST /webhooks/sentry/legacy", b.timed("sentry_legacy", b.handleSentryLegacy()))
	mux.Handle("POST /webhooks/alertmanager", b.timed("alertmanager", b.handleAlertmanager()))
	mux.Handle("POST /webhooks/jira", b.timed("jira", b.handleJira()))
	mux.Handle("POST /webhooks/github", b.timed(kindGitHub, b.handleGitHub()))
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	mux.Handle("GET /readyz", b.handleReady())
	mux.Handle("GET /metrics", b.handleMetrics())
	if b.Dashboard != nil {
		mux.Handle("GET /{$}", b.Dashboard)
		mux.Handle("GET /loops/", b.Dashboard)
		mux.Handle("GET /dead-letters", b.Dashboard)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b.Dashboard != nil && wantsPage(r) {
			// A person's browser: the dashboard's own 404 page, with a way
			// back to the list.
			b.Dashboard.ServeHTTP(w, r)
			return
		}
		encode(w, http.StatusNotFound, map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
	}))
	return mux
}

// wantsPage reports whether a request is a browser's asking for a page: a
// GET or HEAD that accepts HTML. Senders of webhooks and API clients get
// JSON.
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "text/html") {
			return true
		}
	}
	return false
}

// answerWithin is how long a webhook may wait for the store: Sentry gives
// up after 1 s, and a sender that gets 503 retries.
const answerWithin = 900 * time.Millisecond

// timed records how long each answer took.
func (b *Bot) timed(source string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		b.metrics.latency.WithLabelValues(source).Observe(time.Since(start).Seconds())
	})
}

// reject answers an error the sender cannot fix by retrying, with the
// reason, which is also logged (see logRefusal).
func (b *Bot) reject(w http.ResponseWriter, r *http.Request, source string, status int, result, reason string) {
	b.rejectFor(w, r, source, status, result, "", reason)
}

// refuse answers 401 for a credential that is unset, missing or wrong.
func (b *Bot) refuse(w http.ResponseWriter, r *http.Request, source string, why authRefusal) {
	b.rejectFor(w, r, source, http.StatusUnauthorized, "unauthorized", why.cause, why.reason)
}

// rejectFor answers status with the reason, counts it under result and
// logs it, counted apart by cause.
func (b *Bot) rejectFor(w http.ResponseWriter, r *http.Request, source string, status int, result, cause, reason string) {
	b.metrics.webhooks.WithLabelValues(source, result).Inc()
	b.logRefusal(r, source, status, result, cause, reason)
	encode(w, status, map[string]string{"error": reason})
}

// readBody reads a JSON body of at most the configured limit; false means
// an error has been answered. Every sender the bot takes webhooks from
// sends JSON and says so; anything else is answered 415 before the body
// is read.
func (b *Bot) readBody(w http.ResponseWriter, r *http.Request, source string) ([]byte, bool) {
	if err := webhook.CheckJSON(r.Header.Get("Content-Type")); err != nil {
		b.reject(w, r, source, http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error())
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(b.Config.MaxBody)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		b.reject(w, r, source, http.StatusRequestEntityTooLarge, "too_large", "body over the limit of "+itoa(b.Config.MaxBody)+" bytes (max_body_bytes)")
		return nil, false
	case err != nil:
		b.reject(w, r, source, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// signedBody reads the body and checks its signature; false means an error
// has been answered, 401 saying what to fix when the secret is unset, the
// signature missing or not the body's.
func (b *Bot) signedBody(w http.ResponseWriter, r *http.Request, source string, c credential, valid func(body []byte) bool) ([]byte, bool) {
	body, ok := b.readBody(w, r, source)
	if !ok {
		return nil, false
	}
	if why, refused := c.refusal(func() bool { return valid(body) }); refused {
		b.refuse(w, r, source, why)
		return nil, false
	}
	return body, true
}

// hubSignedBody is signedBody for a body signed as Jira's and GitHub's
// webhooks sign theirs: "sha256=" and the HMAC in header, keyed with
// secret.
func (b *Bot) hubSignedBody(w http.ResponseWriter, r *http.Request, source string, c credential, secret, header string) ([]byte, bool) {
	signature := r.Header.Get(header)
	return b.signedBody(w, r, source, c.with(secret != "", signature != ""), func(body []byte) bool {
		return webhook.VerifyHubSignature(body, secret, signature)
	})
}

func (b *Bot) handleSentry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = kindSentry
		signature := r.Header.Get("Sentry-Hook-Signature")
		c := sentryCredential.with(b.Config.Sentry.ClientSecret != "", signature != "")
		body, ok := b.signedBody(w, r, source, c, func(body []byte) bool {
			return webhook.VerifySentry(body, b.Config.Sentry.ClientSecret, signature)
		})
		if !ok {
			return
		}
		if r.Header.Get("Sentry-Hook-Resource") == "comment" {
			b.acceptSentryComment(w, r, body)
			return
		}
		d, err := webhook.DecodeSentryDelivery(r.Header.Get("Sentry-Hook-Resource"), body, b.Config.Sentry.Org)
		if err != nil {
			b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if b.tooOld(w, r, source, d) {
			return
		}
		b.accept(w, r, source, b.notOwn(d.Alerts), b.onceOf(d))
	})
}

// undatedOnceFor is how long the Once id of a Sentry delivery is kept
// when its date does not guard against replays: its body has none (an
// issue resolved, assigned, archived) or sentry.max_age is 0.
const undatedOnceFor = 30 * 24 * time.Hour

// clockSkew is how far Sentry's clock and this machine's may differ.
const clockSkew = time.Hour

// onceOf is how a Sentry delivery is stored once: by the id its body
// gives, remembered for as long as a copy could still be accepted. A
// dated delivery is refused once older than sentry.max_age, so its id
// need outlive it only that long (and the clocks' difference); an undated
// one has only its id against a replay.
func (b *Bot) onceOf(d webhook.SentryDelivery) once {
	keep := undatedOnceFor
	if maxAge := b.Config.Sentry.MaxAge.D(); maxAge > 0 && !d.Dated.IsZero() {
		keep = maxAge + clockSkew
	}
	return once{id: d.Once, keep: keep}
}

// tooOld refuses (400) a delivery whose body is dated longer ago than
// sentry.max_age: Sentry signs only the body, so an old signed body is a
// replay, or a delivery held up for longer than anyone should act on.
func (b *Bot) tooOld(w http.ResponseWriter, r *http.Request, source string, d webhook.SentryDelivery) bool {
	maxAge := b.Config.Sentry.MaxAge.D()
	if !webhook.TooOld(d.Dated, b.Now(), maxAge) {
		return false
	}
	age := b.Now().Sub(d.Dated).Round(time.Second)
	b.reject(w, r, source, http.StatusBadRequest, "too_old", fmt.Sprintf(
		"the body is dated %s (%s), %s ago: older than sentry.max_age (%s). Sentry signs only the body, so an old delivery is refused as a possible replay; if Sentry's deliveries really arrive this late, raise sentry.max_age",
		d.Dated.Format(time.RFC3339), d.DatedBy, age, maxAge))
	return true
}

// acceptSentryComment queues a Sentry note (created, updated, deleted)
// under its issue's fingerprint, for comment sync.
func (b *Bot) acceptSentryComment(w http.ResponseWriter, r *http.Request, body []byte) {
	const source = kindSentry
	c, err := webhook.DecodeSentryComment(body, b.Config.Sentry.Org)
	if err != nil {
		b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	payload, _ := json.Marshal(c)
	if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindSentryComment, Fingerprint: string(loop.SentryFingerprint(c.Org, c.IssueID)),
		Payload: payload, Received: b.Now()}); err != nil {
		b.unavailable(w, source, err)
		return
	}
	b.notify()
	b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
	encode(w, http.StatusAccepted, map[string]any{"accepted": 1})
}

func (b *Bot) handleSentryLegacy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = kindSentryLegacy
		token := r.URL.Query().Get("token")
		c := legacyCredential.with(b.Config.Sentry.LegacyToken != "", token != "")
		if why, refused := c.refusal(func() bool { return bearer.Equal(token, b.Config.Sentry.LegacyToken) }); refused {
			b.refuse(w, r, source, why)
			return
		}
		body, ok := b.readBody(w, r, source)
		if !ok {
			return
		}
		d, err := webhook.DecodeSentryLegacyDelivery(body, b.Config.Sentry.Org)
		if err != nil {
			b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if b.tooOld(w, r, source, d) {
			return
		}
		b.accept(w, r, source, d.Alerts, b.onceOf(d))
	})
}

func (b *Bot) handleAlertmanager() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = kindAlertmanager
		c := alertmanagerCredential.with(b.Config.Alertmanager.Token != "", r.Header.Get("Authorization") != "")
		if why, refused := c.refusal(func() bool { return bearer.Valid(r, b.Config.Alertmanager.Token) }); refused {
			b.refuse(w, r, source, why)
			return
		}
		body, ok := b.readBody(w, r, source)
		if !ok {
			return
		}
		alerts, err := webhook.DecodeAlertmanager(body)
		if err != nil {
			b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		b.accept(w, r, source, alerts, once{})
	})
}

// notOwn drops alerts the bot caused itself: Sentry reports the actor of
// a change, and an integration acting as fixproof (its installation) must
// not loop back into Jira.
func (b *Bot) notOwn(alerts []alert.Alert) []alert.Alert {
	out := alerts[:0]
	for _, a := range alerts {
		if a.ActorType == "application" && b.Config.Sentry.Installation != "" && a.ActorID == b.Config.Sentry.Installation {
			continue
		}
		out = append(out, a)
	}
	return out
}

// once is how a delivery is stored once (see store.Delivery.Once); the
// zero value stores every copy.
type once struct {
	id   string
	keep time.Duration
}

// accept stores every alert of a delivery and only then answers 202. If
// the store cannot take it in time the answer is 503, and the sender
// delivers again later. A copy of a delivery already stored (by its once
// id) is acknowledged with 200 and stored no more: Sentry is satisfied,
// and nothing is counted twice.
func (b *Bot) accept(w http.ResponseWriter, r *http.Request, source string, alerts []alert.Alert, o once) {
	if len(alerts) == 0 {
		b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
		encode(w, http.StatusOK, map[string]any{"accepted": 0})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	now := b.Now()
	copies := 0
	for i := range alerts {
		payload, err := json.Marshal(&alerts[i])
		if err != nil {
			b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		d := store.Delivery{Kind: source, Fingerprint: string(alerts[i].Fingerprint), Payload: payload, Received: now}
		if o.id != "" {
			d.Once, d.OnceFor = o.id, o.keep
			if len(alerts) > 1 {
				d.Once += "#" + itoa(i)
			}
		}
		_, added, err := b.Store.Enqueue(ctx, d)
		if err != nil {
			b.Log.Error("store: enqueue", "fingerprint", alerts[i].Fingerprint, "error", err.Error())
			b.unavailableAnswer(w, source)
			return
		}
		if !added && d.Once != "" {
			copies++
		}
	}
	if copies == len(alerts) {
		b.Log.Debug("a copy of a delivery already stored (a retry or a replay): acknowledged, not stored again",
			"once", o.id, "request_id", r.Header.Get("Request-ID"))
		b.metrics.webhooks.WithLabelValues(source, "duplicate").Inc()
		encode(w, http.StatusOK, map[string]any{"accepted": 0, "duplicate": true})
		return
	}
	b.notify()
	b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
	encode(w, http.StatusAccepted, map[string]any{"accepted": len(alerts) - copies})
}

// handleMetrics serves Prometheus's scrape, behind metrics.token when
// one is set.
func (b *Bot) handleMetrics() http.Handler {
	h := promhttp.HandlerFor(b.Registry, promhttp.HandlerOpts{})
	if b.Config.Metrics.Token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearer.Valid(r, b.Config.Metrics.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fixproof metrics"`)
			encode(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: Bearer <metrics.token> is missing or wrong"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (b *Bot) handleReady() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := b.Store.Ping(ctx); err != nil {
			encode(w, http.StatusServiceUnavailable, map[string]string{"status": "store unreachable", "error": err.Error()})
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// encode is the one JSON writer.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// seenFor is how long delivery ids are remembered for de-duplication:
// longer than any sender keeps retrying.
const seenFor = 7 * 24 * time.Hour

// handleJira receives Jira's webhooks for comment sync and for the
// dashboard's record of each loop (an issue moved, its fixproof property
// written). A delivery about an issue fixproof does not link, or about
// another property, is acknowledged and dropped; one it
// links is queued under the linked alert's fingerprint, so that it is
// handled in turn with that alert's other deliveries (a Sentry webhook
// about a note the bot just wrote waits until the bot has recorded the
// note as its own).
func (b *Bot) handleJira() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = kindJira
		body, ok := b.hubSignedBody(w, r, source, jiraCredential, b.Config.Jira.WebhookSecret, "X-Hub-Signature")
		if !ok {
			return
		}
		id := r.Header.Get("X-Atlassian-Webhook-Identifier")
		ev, err := jirahook.Decode(body, id)
		if err != nil {
			b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
		defer cancel()
		if ev.Kind == "" || ev.IssueKey == "" || ev.Kind == jirahook.PropertySet && ev.Property != "" && ev.Property != loop.PropertyKey {
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0})
			return
		}
		rec, linked, err := b.Store.LookupByJiraKey(ctx, ev.IssueKey)
		if err != nil {
			b.unavailable(w, source, err)
			return
		}
		if !linked {
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0})
			return
		}
		payload, _ := json.Marshal(ev)
		if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindJira, Fingerprint: rec.Fingerprint, Payload: payload, Received: b.Now()}); err != nil {
			b.unavailable(w, source, err)
			return
		}
		if id != "" {
			// Jira re-sends with the same identifier. The id is marked only
			// after the delivery is stored, so a failure between the two
			// can never lose one; a re-sent copy is queued again and its
			// mirror records make it change nothing.
			if first, err := b.Store.MarkSeen(ctx, "jira:"+id, b.Now(), seenFor); err == nil && !first {
				b.metrics.webhooks.WithLabelValues(source, "duplicate").Inc()
			}
		}
		b.notify()
		b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
		encode(w, http.StatusAccepted, map[string]any{"accepted": 1})
	})
}

// unavailable logs a store error and answers 503: the sender retries.
func (b *Bot) unavailable(w http.ResponseWriter, source string, err error) {
	b.Log.Error("store", "source", source, "error", err.Error())
	b.unavailableAnswer(w, source)
}

// unavailableAnswer is the 503 of a delivery that could not be stored,
// logged by the caller.
func (b *Bot) unavailableAnswer(w http.ResponseWriter, source string) {
	b.metrics.webhooks.WithLabelValues(source, "unavailable").Inc()
	w.Header().Set("Retry-After", "5")
	encode(w, http.StatusServiceUnavailable, map[string]string{"error": "could not store the delivery; send it again"})
}
