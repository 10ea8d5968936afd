package sim

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Load is what a storm of deliveries met: how long it took, each
// delivery's time to its answer (sorted), and how many were not accepted.
type Load struct {
	Elapsed   time.Duration
	Latencies []time.Duration
	Refused   int
}

// Storm makes n deliveries from senders goroutines at once, each
// delivering the next index with deliver, which says whether the
// delivery was accepted, and times each one.
func Storm(n, senders int, deliver func(i int) (accepted bool)) Load {
	latencies := make([]time.Duration, n)
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				ok := deliver(i)
				latencies[i] = time.Since(t0)
				if !ok {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	l := Load{Elapsed: time.Since(start), Latencies: latencies, Refused: int(refused.Load())}
	slices.Sort(l.Latencies)
	return l
}

// Report gives the load's figures to a benchmark (a *testing.B):
// deliveries/s, p50-ms, p99-ms and not-2xx.
func (l Load) Report(b interface{ ReportMetric(float64, string) }) {
	n := len(l.Latencies)
	if n == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(n)/l.Elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(ms(l.Latencies[n/2]), "p50-ms")
	b.ReportMetric(ms(l.Latencies[n*99/100]), "p99-ms")
	b.ReportMetric(float64(l.Refused), "not-2xx")
}

// PostJSON sends body to url as a webhook sender does: JSON, with the
// Authorization header when set, and the answer read to its end before it
// is closed, as Alertmanager does (notify.Drain), so that the connection
// is reused. It returns the answer's status.
func PostJSON(c *http.Client, url, authorization string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
