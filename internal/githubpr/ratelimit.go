package githubpr

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/fixproof/fixproof/internal/githublimit"
)

// limitTransport turns GitHub's rate-limit answers to a GraphQL query
// into *githublimit.Error: the primary limit comes as 200 with an errors
// entry of type RATE_LIMITED, which githubv4 would report with GitHub's
// message alone (no reset time, no advice); a secondary limit as 403 (or
// 429) naming it, which githubv4 would report as an unexplained status.
// It sits above the retry policy, so it sees only what the policy gave
// up waiting for.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusForbidden, http.StatusTooManyRequests:
	default:
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading GitHub's answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if e := githublimit.Read(resp.StatusCode, resp.Header, body); e != nil {
		e.API = "GraphQL"
		return nil, e
	}
	return resp, nil
}
