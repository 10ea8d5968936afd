// Package sim holds what every simulated vendor server shares: injected
// latency, scripted failures and a count of the requests served, a
// settable clock and random ids; and the storms of webhook deliveries
// that benchmarks send the bot (Storm, PostJSON). The servers themselves live in
// sub-packages (githubsim, jirasim, sentrysim, guancesim) so tests and the
// demo can run the real fixproof code against them without a network.
package sim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a scripted failure: the next Times requests whose path starts
// with PathPrefix get Status (with a Retry-After header when RetryAfter is
// set) instead of reaching the simulator.
type Fault struct {
	// Method, when set, limits the fault to requests of that method.
	Method     string
	PathPrefix string
	Status     int
	RetryAfter string
	// Header adds other headers, e.g. X-Sentry-Rate-Limit-Reset.
	Header http.Header
	// After serves the request first and then answers with the fault: the
	// work is done but the client never hears of it, like a connection
	// lost after the server committed.
	After bool
	Body  string
	Times int
}

// Control wraps a simulator handler with latency, faults and a request
// counter. The zero value is ready to use; it is safe for concurrent use.
type Control struct {
	mu      sync.Mutex
	latency time.Duration
	faults  []*Fault
	counts  map[string]int
	total   int
	// inflight and peak measure how many requests the simulator served at
	// once: the concurrency the client really achieved.
	inflight, peak int
}

// SetLatency makes every request wait d before it is served, like a
// round trip to a distant data centre.
func (c *Control) SetLatency(d time.Duration) {
	c.mu.Lock()
	c.latency = d
	c.mu.Unlock()
}

// Inject queues a scripted failure.
func (c *Control) Inject(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	c.faults = append(c.faults, &f)
}

// Total is the number of requests received, failures included.
func (c *Control) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Count is the number of requests received for one route, written as
// "METHOD /path" with the path as requested (no query string).
func (c *Control) Count(route string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[route]
}

// CountPrefix is the number of requests whose "METHOD /path" starts with
// prefix, for routes that carry an id (e.g. "POST /rest/api/3/issue/").
func (c *Control) CountPrefix(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for route, k := range c.counts {
		if strings.HasPrefix(route, prefix) {
			n += k
		}
	}
	return n
}

// Routes lists every route seen with its count, sorted, for test failure
// messages and benchmark reports.
func (c *Control) Routes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.counts))
	for route, k := range c.counts {
		out = append(out, route+" x"+strconv.Itoa(k))
	}
	sort.Strings(out)
	return out
}

// PeakConcurrency is the largest number of requests in flight at once.
func (c *Control) PeakConcurrency() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// InFlight is the number of requests being served now, including those
// whose client has given up (see Wrap).
func (c *Control) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight
}

// ClearFaults drops every queued fault: the service is healthy again.
func (c *Control) ClearFaults() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = nil
}

// Reset forgets the counts (not the latency or queued faults).
func (c *Control) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = nil
	c.total = 0
	c.peak = 0
}

// Wrap returns next behind the control: the request is counted, delayed,
// and either failed by a queued fault or passed on.
func (c *Control) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + r.URL.Path
		c.mu.Lock()
		if c.counts == nil {
			c.counts = map[string]int{}
		}
		c.counts[route]++
		c.total++
		c.inflight++
		if c.inflight > c.peak {
			c.peak = c.inflight
		}
		latency := c.latency
		fault := c.takeFault(r.Method, r.URL.Path)
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.inflight--
			c.mu.Unlock()
		}()

		if latency > 0 {
			// The request has arrived: like a real server, the simulator
			// acts on it after the latency even if the client has given
			// up by then (a timed-out create still creates). Its body is
			// read first, while the connection is still there.
			if r.Body != nil {
				body, _ := io.ReadAll(r.Body)
				r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			r = r.WithContext(context.WithoutCancel(r.Context()))
			time.Sleep(latency)
		}
		if fault != nil {
			if fault.After {
				next.ServeHTTP(discard{}, r)
			}
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			for k, vs := range fault.Header {
				w.Header()[http.CanonicalHeaderKey(k)] = vs
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fault.Status)
			body := fault.Body
			if body == "" {
				body = `{"errorMessages":["simulated failure"],"errors":{}}`
			}
			_, _ = w.Write([]byte(body))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// takeFault pops the first queued fault matching the request. c.mu is held.
func (c *Control) takeFault(method, path string) *Fault {
	for i, f := range c.faults {
		if !strings.HasPrefix(path, f.PathPrefix) || f.Method != "" && f.Method != method {
			continue
		}
		f.Times--
		if f.Times == 0 {
			c.faults = append(c.faults[:i], c.faults[i+1:]...)
		}
		return f
	}
	return nil
}

// discard is a ResponseWriter that drops the answer.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}
