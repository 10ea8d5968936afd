package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// BenchmarkBotIngest runs the real `fixproof bot` process on SQLite and
// sends it b.N Alertmanager deliveries from 32 senders over loopback. It
// reports what the senders see: deliveries accepted a second and the time
// to each 202 (stored with synchronous=FULL first), while the bot's
// workers file the issues in a simulated Jira 20 ms away. The bot, Jira
// and the senders share the machine.
//
//   - distinct: every delivery is its own group, so each becomes a Jira
//     issue, as in a storm of distinct problems.
//   - storm: every delivery is the same group, one problem firing on
//     ever more instances; the bot counts them on one issue, updating it
//     at most once per update_every (5s here). drain-s is how long after
//     the last 202 the queue is empty, deferred counter flush included.
//
// With FIXPROOF_BENCH_CPUPROFILE=FILE the bot writes its CPU profile there
// (fixproof bot --cpuprofile).
//
//	go test ./cmd/fixproof -run '^$' -bench BotIngest -benchtime 8000x -count 3
func BenchmarkBotIngest(b *testing.B) {
	b.Run("distinct", func(b *testing.B) { benchIngest(b, false) })
	b.Run("storm", func(b *testing.B) { benchIngest(b, true) })
}

const stormUpdateEvery = 5 * time.Second

func benchIngest(b *testing.B, storm bool) {
	bin := testBinary(b)
	dir := b.TempDir()
	_, jiraURL := simJira(b, 20*time.Millisecond)
	addr := freeAddr(b)
	cfgPath := writeBotConfig(b, dir, addr, filepath.Join(dir, "bot.db"), jiraURL, fmt.Sprintf("update_every: %s\n", stormUpdateEvery))
	args := []string{"bot", "--config", cfgPath}
	if prof := os.Getenv("FIXPROOF_BENCH_CPUPROFILE"); prof != "" {
		args = append(args, "--cpuprofile", prof)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "FIXPROOF_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Errorf("bot: %v\n%s", err, tail(logs.String()))
		}
	}()
	waitHealthy(b, "http://"+addr, &logs)

	bodies := make([][]byte, b.N)
	for i := range bodies {
		group := i
		if storm {
			group = -1
		}
		bodies[i] = fmt.Appendf(nil, `{"version":"4","status":"firing","receiver":"ops","groupKey":"{}:{alertname=\"A%d\"}","truncatedAlerts":0,"groupLabels":{"alertname":"A%d"},
"commonLabels":{"alertname":"A%d","severity":"critical"},"commonAnnotations":{"summary":"disk full on node %d"},"externalURL":"http://am:9093","alerts":[{"status":"firing","labels":{"alertname":"A%d","severity":"critical"},"annotations":{"summary":"disk full on node %d"},"startsAt":"2026-11-20T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"%016x"}]}`, group, group, group, i, group, i, i)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	b.ResetTimer()
	load := sim.Storm(b.N, 32, func(i int) bool {
		code, err := sim.PostJSON(client, "http://"+addr+"/webhooks/alertmanager", "Bearer am-secret", bodies[i])
		return err == nil && code == http.StatusAccepted
	})
	b.StopTimer()
	load.Report(b)
	if load.Refused > 0 {
		b.Errorf("%d deliveries not accepted\n%s", load.Refused, tail(logs.String()))
	}
	end := time.Now()
	if storm {
		deadline := stormUpdateEvery + 5*time.Second
		for !drained(b, "http://"+addr) && time.Since(end) < deadline {
			time.Sleep(50 * time.Millisecond)
		}
		drain := time.Since(end)
		b.ReportMetric(drain.Seconds(), "drain-s")
		if drain >= deadline {
			b.Errorf("the queue still held jobs %s after the storm, want empty within update_every (%s) and a few seconds\n%s", drain.Round(time.Millisecond), stormUpdateEvery, tail(logs.String()))
		}
	}
}
