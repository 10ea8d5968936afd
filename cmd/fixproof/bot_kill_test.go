package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/store/sqlite"
)

// TestKillNineLosesNothingAndDuplicatesNothing runs the real binary, kills
// it with SIGKILL in the middle of an alert storm, starts it again, and
// checks that every delivery it had accepted (answered 202) was counted
// exactly once and that each problem has exactly one Jira issue.
func TestKillNineLosesNothingAndDuplicatesNothing(t *testing.T) {
	bin := testBinary(t)
	dir := t.TempDir()

	js, jiraURL := simJira(t, 2*time.Millisecond)
	addr := freeAddr(t)
	db := filepath.Join(dir, "bot.db")
	cfgPath := writeBotConfig(t, dir, addr, db, jiraURL, "lease: 2s\nworkers: 4\nupdate_every: 1s\n")

	start := func(name string) (*exec.Cmd, *bytes.Buffer) {
		var logs bytes.Buffer
		cmd := exec.Command(bin, "bot", "--config", cfgPath)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		cmd.Env = append(os.Environ(), "FIXPROOF_LOG_LEVEL=info")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, "http://"+addr, &logs)
		return cmd, &logs
	}

	const groups = 20
	// accepted were answered 202; lost got no answer at all (the bot died
	// mid-request): stored or not, the sender cannot know, and would send
	// them again.
	var accepted, lost [groups]atomic.Int64
	send := func(g int) int {
		body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"ops","groupKey":"g%d","groupLabels":{"alertname":"A%d"},
"commonLabels":{"alertname":"A%d"},"commonAnnotations":{"summary":"s"},"externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":"A%d"},"annotations":{},"startsAt":"2026-11-20T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"f"}]}`, g, g, g, g)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/alertmanager", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer am-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			lost[g].Add(1)
			return 0
		}
		res.Body.Close()
		if res.StatusCode == http.StatusAccepted {
			accepted[g].Add(1)
		}
		return res.StatusCode
	}

	// The storm: 8 senders, round-robin over the groups, until killed.
	bot, _ := start("first")
	var logs *bytes.Buffer
	var total atomic.Int64
	ctx, stopSending := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for s := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := s; ctx.Err() == nil; i += 8 {
				if send(i%groups) == http.StatusAccepted {
					total.Add(1)
				}
			}
		}()
	}
	for total.Load() < 1500 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := bot.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = bot.Wait()
	stopSending()
	wg.Wait()
	t.Logf("killed after %d accepted deliveries", total.Load())

	// Start again: it must finish everything the first one accepted.
	bot, logs = start("second")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && !drained(t, "http://"+addr) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := bot.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v\n%s", err, tail(logs.String()))
	}

	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if s, _ := st.Stats(context.Background(), time.Now().Add(time.Hour)); s.Ready != 0 || s.Dead != 0 {
		t.Errorf("left in the queue: %+v\n%s", s, tail(logs.String()))
	}
	keys := map[string]bool{}
	for g := range groups {
		fp := loop.AlertmanagerFingerprint("ops", map[string]string{"alertname": fmt.Sprintf("A%d", g)})
		rec, ok, err := st.Lookup(context.Background(), string(fp))
		if err != nil || !ok || rec.JiraKey == "" {
			t.Errorf("group %d: no issue (%v)", g, err)
			continue
		}
		var state struct {
			Deliveries int64 `json:"deliveries"`
		}
		_ = json.Unmarshal(rec.State, &state)
		// Nothing accepted is lost; nothing is counted twice; a delivery
		// whose answer was lost may or may not have been stored.
		if got, acc, lo := state.Deliveries, accepted[g].Load(), lost[g].Load(); got < acc || got > acc+lo {
			t.Errorf("group %d: %d deliveries counted, %d accepted, %d without an answer", g, got, acc, lo)
		}
		if keys[rec.JiraKey] {
			t.Errorf("issue %s used by two groups", rec.JiraKey)
		}
		keys[rec.JiraKey] = true
	}
	n := 0
	for i := 1; i <= 100; i++ {
		if _, ok := js.Issue(fmt.Sprintf("OPS-%d", i)); ok {
			n++
		}
	}
	if n != groups {
		t.Errorf("%d Jira issues for %d groups", n, groups)
	}
}

// simJira starts a simulated Jira Cloud with the project OPS, latency
// added to every request, for the bot's credentials in writeBotConfig.
func simJira(t testing.TB, latency time.Duration) (*jirasim.Server, string) {
	js := jirasim.New(jirasim.Options{Email: "bot@acme.io", APIToken: "tok"})
	js.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	js.Control.SetLatency(latency)
	srv := httptest.NewServer(js.Handler())
	t.Cleanup(srv.Close)
	return js, srv.URL
}

// writeBotConfig writes dir/fixproof.yml for a bot listening on addr, on
// the SQLite file db, with Jira at jiraURL and Alertmanager's token
// am-secret, then the YAML lines extra; it returns the file's path.
func writeBotConfig(t testing.TB, dir, addr, db, jiraURL, extra string) string {
	cfg := fmt.Sprintf(`listen: %q
store: "sqlite://%s"
jira: {base_url: %q, email: bot@acme.io, api_token: tok, project: OPS}
alertmanager: {token: am-secret}
`, addr, db, jiraURL) + extra
	path := filepath.Join(dir, "fixproof.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t testing.TB, base string, logs *bytes.Buffer) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("bot did not start:\n%s", tail(logs.String()))
}

// drained reads the bot's own metrics: nothing ready and nothing delayed.
func drained(t testing.TB, base string) bool {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	text := b.String()
	return strings.Contains(text, "\nfixproof_queue_ready 0\n") && strings.Contains(text, "\nfixproof_queue_delayed 0\n")
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// TestProfileCPUWritesAProfileUntilStopped is `fixproof bot --cpuprofile`:
// the profile is written when the bot stops, and a file that cannot be
// created is an error naming it.
func TestProfileCPUWritesAProfileUntilStopped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	stop, err := profileCPU(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("no profile written: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "missing", "cpu.prof")
	if _, err := profileCPU(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("profile in a missing directory: %v, want an error naming %s", err, bad)
	}
}
