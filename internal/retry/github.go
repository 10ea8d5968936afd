package retry

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/githublimit"
)

// limitKind is a GitHub rate limit that only the body of an answer shows.
type limitKind int

const (
	notLimited limitKind = iota
	// primaryLimit: the hourly budget is spent. GitHub's GraphQL API says
	// so with status 200 and an errors entry of type RATE_LIMITED (newer
	// answers: type RATE_LIMIT, code graphql_rate_limit); x-ratelimit-reset
	// says when it refills.
	primaryLimit
	// secondaryLimit: too much at once. GitHub answers 403 or 429 (GraphQL
	// also 200) with a message naming "a secondary rate limit", sometimes
	// without Retry-After, when it asks for at least a minute's wait.
	secondaryLimit
)

// secondaryWait is how long to wait after a secondary limit that gives no
// Retry-After: "wait for at least one minute before retrying" (GitHub's
// REST and GraphQL rate-limit documentation).
const secondaryWait = time.Minute

// githubLimit reads the rate limits that a status and headers alone do
// not show: a GraphQL answer of 200 (POST to .../graphql), or a 403 or
// 429 without Retry-After or x-ratelimit-remaining: 0. It reads the body
// of such answers and puts it back for the caller.
func githubLimit(req *http.Request, resp *http.Response, err error) limitKind {
	if err != nil || resp == nil || resp.Body == nil || resp.Body == http.NoBody {
		return notLimited
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/graphql") {
			return notLimited
		}
	case http.StatusForbidden, http.StatusTooManyRequests:
		if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			return notLimited // the headers say it all
		}
	default:
		return notLimited
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = replay{Reader: bytes.NewReader(body), err: rerr}
	if rerr != nil {
		return notLimited
	}
	switch e := githublimit.Read(resp.StatusCode, resp.Header, body); {
	case e == nil:
		return notLimited
	case e.Secondary:
		return secondaryLimit
	}
	return primaryLimit
}

// replay gives back a body already read, then the error its reading ended
// with (if any).
type replay struct {
	*bytes.Reader
	err error
}

func (r replay) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if err == io.EOF && r.err != nil {
		err = r.err
	}
	return n, err
}

func (replay) Close() error { return nil }

// decideLimit is decide for an answer whose body reports a GitHub rate
// limit. Nothing was done, so the request is retried whatever its method,
// after the wait the headers ask for (Retry-After, else the
// x-ratelimit-reset time), a minute for a secondary limit that names
// none, or the backoff; a wait longer than MaxWait is not made.
func (p Policy) decideLimit(attempt int, resp *http.Response, kind limitKind, now time.Time, jitter float64) Decision {
	what := "GitHub rate limit"
	if kind == secondaryLimit {
		what = "GitHub secondary rate limit"
	}
	if attempt+1 >= p.Attempts {
		return Decision{Reason: what + ": out of attempts"}
	}
	wait := p.backoff(attempt, jitter)
	if kind == secondaryLimit {
		wait = max(wait, secondaryWait)
	}
	if d, ok := ServerWait(resp.Header, now); ok {
		wait = d
	}
	if wait > p.MaxWait {
		return Decision{Reason: fmt.Sprintf("%s: GitHub asks to wait %s, more than %s", what, wait, p.MaxWait)}
	}
	return Decision{Retry: true, Wait: wait, Reason: what}
}
