package jirasim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is Jira Cloud's burst rate limit: a token bucket per
// credential, endpoint and HTTP method (Jira's documented scope for
// RateLimit-Reason jira-burst-based), refilled at Rate tokens a second up
// to Burst. The zero value is no limit.
//
// The bucket runs on wall time, not Options.Now: tests move a fake clock
// for business time, but their requests flow in real time, as a client's
// do against Jira.
type RateLimit struct {
	// Rate is the sustained number of requests a second.
	Rate float64
	// Burst is how many requests may arrive at once; at least 1.
	Burst int
	// Clock is the wall clock the bucket runs on; nil means time.Now. A
	// test whose retry policy does not really sleep passes a clock that
	// its Sleep advances, so honouring Retry-After takes no time.
	Clock func() time.Time
}

// CloudRateLimit is a realistic limit for an API token on Jira Cloud.
// Atlassian does not publish its numbers (they are "evolving"); these are
// a sustained 10 requests a second per endpoint and method with bursts of
// 100, in the range clients report meeting. A client that paces itself or
// honours Retry-After never fails against it; one that hammers an endpoint
// sees 429s.
var CloudRateLimit = RateLimit{Rate: 10, Burst: 100}

func (l RateLimit) on() bool { return l.Rate > 0 }

// The rate-limit headers Jira Cloud sends (developer.atlassian.com, "Rate
// limiting"): the budget on every response, and on a 429 how long to wait
// (Retry-After, in seconds), when the limit resets (the request time plus
// Retry-After, as yyyy-MM-ddTHH:mmZ) and which limit it was. Jira's
// X-RateLimit-NearLimit warning is not sent: it belongs to the cost
// budgets, not to the burst limit (JRACLOUD-83791, and clients report it
// absent), so a client must read the count to see the bucket running low.
const (
	hdrLimit     = "X-RateLimit-Limit"
	hdrRemaining = "X-RateLimit-Remaining"
	hdrReset     = "X-RateLimit-Reset"
	hdrReason    = "RateLimit-Reason"
	burstReason  = "jira-burst-based"
)

// limiter holds the buckets.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	// until is when the last Retry-After given expires.
	until time.Time
}

// take spends a token from key's bucket at now. It returns the whole
// tokens left, or, when none was left, how long to wait before one is:
// Jira's Retry-After, in whole seconds. A request sent before the last
// Retry-After expired is refused, and costs a token (down to a debt of one
// burst), so its wait is as long or longer, as Atlassian documents; a
// client that waits as told finds a token.
func (l *limiter) take(cfg RateLimit, key string, now time.Time) (remaining int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	burst := float64(max(cfg.Burst, 1))
	b, ok := l.buckets[key]
	if !ok {
		if l.buckets == nil {
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+cfg.Rate*elapsed.Seconds())
		b.last = now
	}
	early := now.Before(b.until)
	if b.tokens >= 1 && !early {
		b.tokens--
		return int(b.tokens), 0
	}
	if early {
		b.tokens = math.Max(b.tokens-1, -burst)
	}
	secs := max(1, math.Ceil((1-b.tokens)/cfg.Rate))
	wait = time.Duration(secs) * time.Second
	b.until = now.Add(wait)
	return 0, wait
}

// limit applies Options.RateLimit to an authorized request for route (the
// mux pattern): it sets the budget headers and, past the limit, answers
// 429 and returns false.
func (s *Server) limit(c *call, who, route string) bool {
	cfg := s.opts.RateLimit
	if !cfg.on() {
		return true
	}
	now := time.Now()
	if cfg.Clock != nil {
		now = cfg.Clock()
	}
	remaining, wait := s.limits.take(cfg, who+"\x00"+route, now)
	h := c.w.Header()
	h.Set(hdrLimit, strconv.Itoa(max(cfg.Burst, 1)))
	h.Set(hdrRemaining, strconv.Itoa(remaining))
	if wait == 0 {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	h.Set(hdrReset, now.Add(wait).UTC().Format("2006-01-02T15:04Z"))
	h.Set(hdrReason, burstReason)
	c.fail(http.StatusTooManyRequests, "Rate limit exceeded.")
	return false
}
