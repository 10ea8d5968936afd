package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/store"
)

// GitHubApp is the bot's GitHub App mode (*githubapp.App): the pull
// requests of every repository the app is installed on.
type GitHubApp interface {
	PullRequest(ctx context.Context, ev githubapp.PullRequestEvent) error
}

const (
	// kindGitHub is a GitHub App delivery's source in the metrics; a
	// pull_request event is queued as kindGitHubPR.
	kindGitHub   = "github"
	kindGitHubPR = "github_pull_request"
	// githubPrefix starts the fingerprint of a pull request's events:
	// "github:acme/shop#7". A pull request's events are handled one at a
	// time, in the order they came, by one worker.
	githubPrefix = "github:"
)

// handleGitHub receives the GitHub App's webhooks. A pull_request event
// that can move issues is stored (once per X-GitHub-Delivery, so a
// redelivery is not handled twice) before it is answered 202; ping and
// installation events are acknowledged and logged; others are
// acknowledged and dropped.
func (b *Bot) handleGitHub() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = kindGitHub
		body, ok := b.hubSignedBody(w, r, source, githubCredential, b.Config.GitHub.WebhookSecret, "X-Hub-Signature-256")
		if !ok {
			return
		}
		event, delivery := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
		switch event {
		case "pull_request":
			b.acceptPullRequest(w, r, body, delivery)
		case "deployment_status":
			b.acceptDeployment(w, r, body)
		case "ping", "installation", "installation_repositories":
			b.logInstallation(event, delivery, body)
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0, "event": event})
		default:
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0})
		}
	})
}

// acceptPullRequest stores a pull_request event, then answers 202.
func (b *Bot) acceptPullRequest(w http.ResponseWriter, r *http.Request, body []byte, delivery string) {
	const source = kindGitHub
	ev, err := githubapp.DecodePullRequest(body)
	if err != nil {
		b.reject(w, r, source, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if !githubapp.Moves(ev.Action) {
		b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
		encode(w, http.StatusOK, map[string]any{"accepted": 0})
		return
	}
	payload, _ := json.Marshal(ev)
	d := store.Delivery{Kind: kindGitHubPR, Fingerprint: githubPrefix + ev.Repo + "#" + strconv.Itoa(ev.Number), Payload: payload, Received: b.Now()}
	if delivery != "" {
		d.Once, d.OnceFor = "github:"+delivery, seenFor
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	_, added, err := b.Store.Enqueue(ctx, d)
	if err != nil {
		b.unavailable(w, source, err)
		return
	}
	if !added {
		b.metrics.webhooks.WithLabelValues(source, "duplicate").Inc()
		encode(w, http.StatusOK, map[string]any{"accepted": 0, "duplicate": true})
		return
	}
	b.notify()
	b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
	encode(w, http.StatusAccepted, map[string]any{"accepted": 1})
}

// acceptDeployment asks for a sweep soon when a deployment succeeded: a
// fix may have reached production, and its verification can start now
// rather than at the next interval.
func (b *Bot) acceptDeployment(w http.ResponseWriter, r *http.Request, body []byte) {
	const source = kindGitHub
	var ev struct {
		Status struct {
			State string `json:"state"`
		} `json:"deployment_status"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		b.reject(w, r, source, http.StatusBadRequest, "bad_request", "deployment_status webhook: "+err.Error())
		return
	}
	if ev.Status.State != "success" || b.Config.Sweep.Interval.D() <= 0 {
		b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
		encode(w, http.StatusOK, map[string]any{"accepted": 0})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	if err := b.wakeSweep(ctx); err != nil {
		b.unavailable(w, source, err)
		return
	}
	b.Log.Info("github app: a deploy succeeded; a sweep starts at the next tick", "repo", ev.Repository.FullName)
	b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
	encode(w, http.StatusAccepted, map[string]any{"accepted": 1})
}

// logInstallation says in the log that the app was pinged, installed,
// removed or given repositories.
func (b *Bot) logInstallation(event, delivery string, body []byte) {
	var m struct {
		Action       string `json:"action"`
		Installation struct {
			ID      int64 `json:"id"`
			Account struct {
				Login string `json:"login"`
			} `json:"account"`
		} `json:"installation"`
	}
	_ = json.Unmarshal(body, &m)
	b.Log.Info("github app: "+event, "action", m.Action, "installation", m.Installation.ID, "account", m.Installation.Account.Login, "delivery", delivery)
}

// isGitHub reports whether a batch is a pull request's events.
func isGitHub(fingerprint string) bool { return strings.HasPrefix(fingerprint, githubPrefix) }

// processGitHub handles a pull request's events in the order they came,
// through the app; a failure puts the rest back to be tried again.
func (b *Bot) processGitHub(ctx context.Context, batch *store.Batch) {
	r := b.begin(batch)
	for _, j := range batch.Jobs {
		var ev githubapp.PullRequestEvent
		if err := json.Unmarshal(j.Payload, &ev); err != nil {
			r.log.Error("delivery unreadable; dropped", "job", j.ID, "error", err.Error())
			continue
		}
		if b.GitHubApp == nil {
			r.log.Warn("a GitHub App delivery, but github.app_id is not set: dropped", "job", j.ID)
			continue
		}
		if err := b.GitHubApp.PullRequest(ctx, ev); err != nil {
			b.fail(ctx, r, err)
			return
		}
	}
	if err := b.Store.Finish(ctx, batch, "", nil); err != nil {
		b.leaseError(r.log, err)
		return
	}
	b.metrics.jobs.WithLabelValues("done").Inc()
}
