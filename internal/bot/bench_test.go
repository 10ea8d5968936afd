package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/postgres"
	"github.com/fixproof/fixproof/internal/store/sqlite"
)

// BenchmarkWebhooks measures what a sender sees: deliveries per second the
// bot accepts and the time to its 2xx (stored durably first), with the
// workers processing at the same time. Sub-benchmarks: SQLite and
// Postgres (when FIXPROOF_TEST_POSTGRES is set), with distinct
// fingerprints (one Alertmanager group per delivery) and with one storming
// fingerprint (the same signed Sentry delivery again and again). 32
// senders post over loopback HTTP.
//
//	go test ./internal/bot -run '^$' -bench Webhooks -benchtime 4000x
func BenchmarkWebhooks(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	if url := os.Getenv("FIXPROOF_TEST_POSTGRES"); url != "" {
		stores = append(stores, struct {
			name string
			open func(b *testing.B) store.Store
		}{"postgres", func(b *testing.B) store.Store {
			st, err := postgres.OpenOptions(context.Background(), url, postgres.Options{Schema: fmt.Sprintf("fixproof_bench_%d", rand.Int64())})
			if err != nil {
				b.Fatal(err)
			}
			return st
		}})
	}
	for _, s := range stores {
		for _, storm := range []bool{false, true} {
			name := s.name + "/distinct"
			if storm {
				name = s.name + "/storm"
			}
			b.Run(name, func(b *testing.B) {
				st := s.open(b)
				defer st.Close()
				w := newWorld(b, withStore(st), bench())
				w.sentryIssue("101", "TypeError: boom")
				// Bodies are made before the clock starts.
				bodies := make([][]byte, b.N)
				for i := range bodies {
					if storm {
						// One problem, each delivery a new event (a
						// replay of one event is counted once).
						bodies[i] = w.sentry.EventAlertWebhook("101", eventFor(), actorSentry())
					} else {
						bodies[i] = []byte(fmt.Sprintf(`{"version":"4","status":"firing","receiver":"ops","groupKey":"g","groupLabels":{"alertname":"A%d"},"commonLabels":{"alertname":"A%d"},"commonAnnotations":{"summary":"s"},"externalURL":"http://am","alerts":[]}`, i, i))
					}
				}
				latencies := make([]time.Duration, b.N)
				var next atomic.Int64
				var failed atomic.Int64
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range 32 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) - 1
							if i >= b.N {
								return
							}
							t0 := time.Now()
							var code int
							if storm {
								hooks := w.hooks
								hooks.Client = client
								code, _ = hooks.Send(context.Background(), "event_alert", bodies[i])
							} else {
								req, _ := http.NewRequest(http.MethodPost, w.urls[0]+"/webhooks/alertmanager", bytes.NewReader(bodies[i]))
								req.Header.Set("Content-Type", "application/json")
								req.Header.Set("Authorization", "Bearer "+amToken)
								res, err := client.Do(req)
								if err == nil {
									code = res.StatusCode
									// As Alertmanager does (notify.Drain): the connection is
									// reused only once the body is read.
									_, _ = io.Copy(io.Discard, res.Body)
									res.Body.Close()
								}
							}
							latencies[i] = time.Since(t0)
							if code != http.StatusAccepted {
								failed.Add(1)
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
				b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(failed.Load()), "not-2xx")
			})
		}
	}
}
