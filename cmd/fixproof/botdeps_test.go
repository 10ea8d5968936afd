package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/store/sqlite"
)

// TestTheBotPacesJiraAfterARefusal: once Jira answers a 429 with
// Retry-After: 1, the bot's other requests to that endpoint wait out the
// second too, instead of each earning its own refusal.
func TestTheBotPacesJiraAfterARefusal(t *testing.T) {
	js := jirasim.New(jirasim.Options{Email: "bot@acme.io", APIToken: "tok"})
	js.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	if err := js.AddIssue("OPS-1", "Disk full", "Open"); err != nil {
		t.Fatal(err)
	}
	const path = "/rest/api/3/issue/OPS-1/transitions"
	js.Control.Inject(sim.Fault{Method: http.MethodGet, PathPrefix: path, Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 1})
	var mu sync.Mutex
	var arrivals []time.Time
	// The bot logs "retrying" once its client has read the refusal (the
	// limiter reads it first).
	refused := make(chan struct{})
	var once sync.Once
	log := slog.New(onMessage{"retrying", func() { once.Do(func() { close(refused) }) }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			mu.Lock()
			arrivals = append(arrivals, time.Now())
			mu.Unlock()
		}
		js.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()

	cfg := botconfig.Default()
	cfg.Jira.BaseURL, cfg.Jira.Email, cfg.Jira.APIToken, cfg.Jira.Project = srv.URL, "bot@acme.io", "tok", "OPS"
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deps, err := botDeps(cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	ask := func() {
		defer wg.Done()
		_, err := deps.Jira.Transitions(context.Background(), "OPS-1")
		errs <- err
	}
	wg.Add(1)
	go ask()
	<-refused
	wg.Add(2)
	go ask()
	go ask()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 4 {
		t.Fatalf("%d requests reached Jira, want the refused one and three after it", len(arrivals))
	}
	for i, at := range arrivals[1:] {
		if d := at.Sub(arrivals[0]); d < 900*time.Millisecond {
			t.Errorf("request %d reached Jira %s after the refusal, inside its Retry-After of 1s", i+2, d.Round(time.Millisecond))
		}
	}
}

// onMessage is a log handler that calls do for each record whose message
// is msg, and drops every record.
type onMessage struct {
	msg string
	do  func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.do()
	}
	return nil
}
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }
