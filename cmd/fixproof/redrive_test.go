package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/sqlite"
)

// killJob stores a delivery of fp and sends it to the dead letters.
func killJob(t *testing.T, st store.Store, fp, why string) {
	t.Helper()
	now := time.Now()
	if _, _, err := st.Enqueue(t.Context(), store.Delivery{Kind: "alertmanager", Fingerprint: string(fp), Payload: []byte("{}"), Received: now}); err != nil {
		t.Fatal(err)
	}
	b, err := st.Next(t.Context(), "bot", now, time.Minute, 10)
	if err != nil || b == nil {
		t.Fatalf("Next = %v, %v", b, err)
	}
	if err := st.Retry(t.Context(), b, "", nil, store.Failure{Error: why, NotBefore: now, Dead: true}); err != nil {
		t.Fatal(err)
	}
}

// `fixproof bot redrive` lists the dead letters, then moves one
// fingerprint's or all of them back to the queue, while the bot owns the
// SQLite file.
func TestRedriveMovesDeadLettersBackWhileTheBotRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fixproof.db")
	cfg := filepath.Join(dir, "fixproof.yml")
	if err := os.WriteFile(cfg, []byte("store: sqlite://"+db+`
jira:
  base_url: https://acme.atlassian.net
  email: bot@acme.io
  api_token: tok
  project: OPS
alertmanager:
  token: am
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bot, err := sqlite.Open(t.Context(), db) // the running bot owns the file
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	killJob(t, bot, "alertmanager:ops:a", "jira: create issue in OPS: 400 components: Component name 'API' is not valid")
	killJob(t, bot, "alertmanager:ops:b", "jira: create issue in OPS: 400 labels: bad")

	out, _, err := runCmd(t, "", nil, "bot", "redrive", "--config", cfg)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, want := range []string{"alertmanager:ops:a", "alertmanager:ops:b", "Component name 'API' is not valid", "Nothing moved", "--all"} {
		if !strings.Contains(out, want) {
			t.Errorf("the listing does not say %q:\n%s", want, out)
		}
	}
	if s, _ := bot.Stats(t.Context(), time.Now()); s.Dead != 2 {
		t.Fatalf("listing moved something: %+v", s)
	}

	out, _, err = runCmd(t, "", nil, "bot", "redrive", "--config", cfg, "--fingerprint", "alertmanager:ops:a")
	if err != nil || !strings.Contains(out, "moved 1 dead letter back") {
		t.Fatalf("redrive one: %q, %v", out, err)
	}
	if s, _ := bot.Stats(t.Context(), time.Now()); s.Dead != 1 || s.Ready != 1 {
		t.Fatalf("after redriving one fingerprint: %+v", s)
	}
	b, err := bot.Next(t.Context(), "bot", time.Now(), time.Minute, 10)
	if err != nil || b == nil || b.Record.Fingerprint != "alertmanager:ops:a" || b.Jobs[0].Attempts != 0 {
		t.Fatalf("the bot's next batch = %+v, %v; want the redriven delivery with no attempts", b, err)
	}
	out, _, err = runCmd(t, "", map[string]string{"FIXPROOF_CONFIG": cfg}, "bot", "redrive", "--all")
	if err != nil || !strings.Contains(out, "moved 1 dead letter back") {
		t.Fatalf("redrive all: %q, %v", out, err)
	}
	out, _, err = runCmd(t, "", nil, "bot", "redrive", "--config", cfg, "--all")
	if err != nil || !strings.Contains(out, "no dead letters") {
		t.Fatalf("redrive with nothing dead: %q, %v", out, err)
	}
}

func TestRedriveRefusesContradictoryFlagsAndHelps(t *testing.T) {
	_, _, err := runCmd(t, "", nil, "bot", "redrive", "--fingerprint", "x", "--all")
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both flags: %v", err)
	}
	for _, args := range [][]string{{"bot", "redrive", "--help"}, {"help", "bot", "redrive"}, {"bot", "--help"}} {
		out, _, err := runCmd(t, "", nil, args...)
		if exitStatus(err, io.Discard) != 0 || !strings.Contains(out, "redrive") || !strings.Contains(out, "dead letters") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}
