package bot

import (
	"net/http"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/textcut"
)

// A webhook the bot refuses (401, 400, 413, 415) is answered with the
// reason and counted in fixproof_webhooks_total, and it is logged, so that
// a misconfigured secret or sender shows where people look first. The
// log is rate-limited per kind of refusal, and says neither the body nor
// a secret: the reason names settings and headers, never their values.

// refusalLogEvery is how often each kind of refusal is logged at most.
const refusalLogEvery = time.Minute

// logLimiter lets one log line of a kind through per interval and counts
// the lines it holds back in between. Kinds are few and fixed (a source,
// a result and a cause), never taken from a request, so the map stays
// small whatever is sent.
type logLimiter struct {
	every time.Duration
	mu    sync.Mutex
	kinds map[string]*limited
}

// limited is when a kind was last logged and how many were held back
// since.
type limited struct {
	at   time.Time
	held int
}

func newLogLimiter(every time.Duration) *logLimiter {
	return &logLimiter{every: every, kinds: map[string]*limited{}}
}

// allow reports whether a line of kind may be written at now and, when it
// may, how many lines of the kind were held back since the last one.
func (l *logLimiter) allow(kind string, now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[kind]
	if k == nil {
		l.kinds[kind] = &limited{at: now}
		return true, 0
	}
	if now.Sub(k.at) < l.every {
		k.held++
		return false, 0
	}
	held = k.held
	k.at, k.held = now, 0
	return true, held
}

// authRefusal is why a delivery's credential is refused: cause is unset,
// missing or mismatch (the log counts each apart), reason what the sender
// is told and the log says.
type authRefusal struct{ cause, reason string }

// credential is how an endpoint's sender proves itself, and what to say
// when it does not.
type credential struct {
	configured bool // the secret or token is set in the config
	sent       bool // the request carries a signature or token
	// What to say when the setting is unset, when the request carries
	// nothing, and when what it carries does not match.
	unset, missing, mismatch string
}

// refusal says why a request's credential is refused, and false when it
// is accepted. valid checks the credential sent (in constant time); it is
// called only when there is a secret and a credential to compare.
func (c credential) refusal(valid func() bool) (authRefusal, bool) {
	switch {
	case !c.configured:
		return authRefusal{"unset", c.unset}, true
	case !c.sent:
		return authRefusal{"missing", c.missing}, true
	case !valid():
		return authRefusal{"mismatch", c.mismatch}, true
	}
	return authRefusal{}, false
}

// What each endpoint says about its credential.
var (
	sentryCredential = credential{
		unset:    "sentry.client_secret is unset, so every delivery of Sentry's integration is refused: set it to the integration's client secret",
		missing:  "Sentry-Hook-Signature is missing: Sentry signs every delivery of an integration with its client secret; is this request from Sentry?",
		mismatch: "Sentry-Hook-Signature does not match the body signed with sentry.client_secret",
	}
	legacyCredential = credential{
		unset:    "sentry.legacy_token is unset, so every delivery of the legacy WebHooks plugin is refused: set it, and end the plugin's URL with ?token=<it>",
		missing:  "the token query parameter is missing: the legacy WebHooks plugin's URL must end with ?token=<sentry.legacy_token>",
		mismatch: "the token query parameter does not match sentry.legacy_token",
	}
	alertmanagerCredential = credential{
		unset:    "alertmanager.token is unset, so every Alertmanager delivery is refused: set it, and send it from the webhook_config (http_config: authorization: {credentials: <token>})",
		missing:  "Authorization is missing: send Authorization: Bearer <alertmanager.token> (webhook_config http_config: authorization: {credentials: <token>})",
		mismatch: "Authorization: Bearer <alertmanager.token> does not match alertmanager.token",
	}
	githubCredential = credential{
		unset:    "github.webhook_secret is unset, so every delivery of the GitHub App is refused: set it to the app's webhook secret",
		missing:  "X-Hub-Signature-256 is missing: GitHub signs an app's deliveries only when the app has a webhook secret; give it the one in github.webhook_secret",
		mismatch: "X-Hub-Signature-256 does not match the body signed with github.webhook_secret",
	}
	jiraCredential = credential{
		unset:    "jira.webhook_secret is unset, so every Jira webhook is refused: set it to the secret of Jira's webhook (comment sync)",
		missing:  "X-Hub-Signature is missing: Jira signs a webhook's deliveries only when the webhook has a secret; give it the one in jira.webhook_secret",
		mismatch: "X-Hub-Signature does not match the body signed with jira.webhook_secret",
	}
)

// with is c for one request: whether the secret is set, whether the
// request sent anything.
func (c credential) with(configured, sent bool) credential {
	c.configured, c.sent = configured, sent
	return c
}

// logRefusal writes one line about a refused webhook, unless a line of
// the same kind (source, result and cause) was written less than
// refusalLogEvery ago; the next line says how many were held back.
func (b *Bot) logRefusal(r *http.Request, source string, status int, result, cause, reason string) {
	ok, held := b.refusals.allow(source+"/"+result+"/"+cause, b.Now())
	if !ok {
		return
	}
	b.Log.Warn("webhook refused", "source", source, "status", status, "result", result, "reason", reason,
		"path", r.URL.Path, "remote", r.RemoteAddr, "user_agent", textcut.Bytes(r.UserAgent(), 120),
		"request_id", textcut.Bytes(r.Header.Get("Request-ID"), 120), "held_back", held)
}
