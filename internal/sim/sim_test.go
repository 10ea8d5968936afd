package sim

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestControlCountsFailsAndDelays(t *testing.T) {
	var c Control
	served := 0
	srv := httptest.NewServer(c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ })))
	defer srv.Close()
	c.Inject(Fault{PathPrefix: "/a", Status: 429, RetryAfter: "3", Times: 2, Header: http.Header{"X-Sentry-Rate-Limit-Reset": {"1795262400"}}})

	get := func(path string) *http.Response {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := get("/b"); res.StatusCode != 200 {
		t.Errorf("/b: %d, the fault is for /a only", res.StatusCode)
	}
	for i := 0; i < 2; i++ {
		if res := get("/a/x"); res.StatusCode != 429 || res.Header.Get("Retry-After") != "3" || res.Header.Get("X-Sentry-Rate-Limit-Reset") != "1795262400" {
			t.Errorf("/a/x try %d: %d %q, want the scripted 429", i, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	if res := get("/a/x"); res.StatusCode != 200 {
		t.Errorf("third /a/x: %d, the fault was used up", res.StatusCode)
	}
	if c.Total() != 4 || c.Count("GET /a/x") != 3 || c.CountPrefix("GET /a") != 3 || served != 2 {
		t.Errorf("total %d, /a/x %d, prefix %d, served %d", c.Total(), c.Count("GET /a/x"), c.CountPrefix("GET /a"), served)
	}
	c.Reset()
	if c.Total() != 0 || len(c.Routes()) != 0 {
		t.Errorf("reset left %d, %v", c.Total(), c.Routes())
	}

	c.Inject(Fault{PathPrefix: "/c", Status: 502, After: true})
	if res := get("/c"); res.StatusCode != 502 || served != 3 {
		t.Errorf("After: status %d, served %d: the request must be served and its answer lost", res.StatusCode, served)
	}
	c.Inject(Fault{Method: "POST", PathPrefix: "/b", Status: 503})
	if res := get("/b"); res.StatusCode != 200 {
		t.Errorf("GET /b: %d, the fault is for POST only", res.StatusCode)
	}
	c.Reset()

	c.SetLatency(30 * time.Millisecond)
	start := time.Now()
	get("/b")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("latency not applied: %s", d)
	}
}

func TestControlMeasuresPeakConcurrency(t *testing.T) {
	var c Control
	release := make(chan struct{})
	arrived := make(chan struct{}, 5)
	srv := httptest.NewServer(c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	})))
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, err := http.Get(srv.URL); err == nil {
				res.Body.Close()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		<-arrived
	}
	close(release)
	wg.Wait()
	if p := c.PeakConcurrency(); p != 5 {
		t.Errorf("peak %d, want 5", p)
	}
}

func TestClockIsSettable(t *testing.T) {
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	c := NewClock(start)
	c.Advance(90 * time.Minute)
	if got := c.Now(); !got.Equal(start.Add(90 * time.Minute)) {
		t.Errorf("after Advance: %s", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("after Set: %s", c.Now())
	}
}

// TestAnAbandonedRequestIsStillServed: a client that times out during the
// latency does not undo the request; the server acts on it (body and all)
// and only the answer is lost, as with a real service. InFlight shows it
// until then.
func TestAnAbandonedRequestIsStillServed(t *testing.T) {
	var c Control
	got := make(chan string, 1)
	srv := httptest.NewServer(c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	})))
	defer srv.Close()
	c.SetLatency(200 * time.Millisecond)
	client := &http.Client{Timeout: 20 * time.Millisecond}
	if _, err := client.Post(srv.URL+"/issue", "application/json", strings.NewReader(`{"summary":"boom"}`)); err == nil {
		t.Fatal("the client did not time out")
	}
	if n := c.InFlight(); n != 1 {
		t.Errorf("InFlight = %d while the abandoned request waits, want 1", n)
	}
	select {
	case body := <-got:
		if body != `{"summary":"boom"}` {
			t.Errorf("served with body %q", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned request was never served")
	}
	for deadline := time.Now().Add(5 * time.Second); c.InFlight() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight = %d after it was served", n)
	}
}

type metrics map[string]float64

func (m metrics) ReportMetric(v float64, unit string) { m[unit] = v }

// Storm makes every delivery once, from all its senders, and counts the
// refused; Report gives a benchmark its figures from them.
func TestStormDeliversEachIndexOnceAndCountsTheRefused(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	load := Storm(1000, 8, func(i int) bool {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		return i%10 != 0
	})
	if len(seen) != 1000 {
		t.Errorf("%d indexes delivered, want 1000", len(seen))
	}
	for i, n := range seen {
		if n != 1 || i < 0 || i >= 1000 {
			t.Errorf("index %d delivered %d times", i, n)
		}
	}
	if load.Refused != 100 || len(load.Latencies) != 1000 || !slices.IsSorted(load.Latencies) {
		t.Errorf("refused %d, %d latencies (sorted %v)", load.Refused, len(load.Latencies), slices.IsSorted(load.Latencies))
	}
	m := metrics{}
	load.Report(m)
	if m["not-2xx"] != 100 || m["deliveries/s"] <= 0 || m["p99-ms"] < m["p50-ms"] {
		t.Errorf("reported %v", m)
	}
}

// PostJSON sends as a webhook sender does and reads each answer to its
// end, so that one connection carries every delivery.
func TestPostJSONSendsJSONWithItsAuthorizationOnOneConnection(t *testing.T) {
	var conns atomic.Int64
	var got []string
	var mu sync.Mutex
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("Content-Type")+" "+r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	c := &http.Client{Transport: &http.Transport{}}
	for _, body := range []string{`{"n":1}`, `{"n":2}`} {
		if code, err := PostJSON(c, ts.URL, "Bearer s", []byte(body)); err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", body, code, err)
		}
	}
	if want := []string{`application/json Bearer s {"n":1}`, `application/json Bearer s {"n":2}`}; !slices.Equal(got, want) {
		t.Errorf("the server got %q, want %q", got, want)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for two deliveries, want 1: an answer not read to its end", n)
	}
}
