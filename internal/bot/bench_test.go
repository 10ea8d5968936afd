package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/fixproof/fixproof/internal/sim"
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
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				hooks := w.hooks
				hooks.Client = client
				b.ResetTimer()
				load := sim.Storm(b.N, 32, func(i int) bool {
					if storm {
						code, _ := hooks.Send(context.Background(), "event_alert", bodies[i])
						return code == http.StatusAccepted
					}
					code, err := sim.PostJSON(client, w.urls[0]+"/webhooks/alertmanager", "Bearer "+amToken, bodies[i])
					return err == nil && code == http.StatusAccepted
				})
				b.StopTimer()
				load.Report(b)
			})
		}
	}
}
