// Package githublimit describes GitHub refusing a request for its rate
// limits, in words that say what to do, for the clients of GitHub's
// GraphQL API (githubpr) and REST API (prcomment, which reads go-github's
// rate-limit errors into an Error).
//
// The waiting itself is internal/retry's: it waits for a reset or a
// retry-after up to its policy's MaxWait. An Error is what remains when
// GitHub asks for longer.
package githublimit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a request GitHub refused for its rate limits.
type Error struct {
	// API is "GraphQL" or "REST".
	API string
	// Secondary is true for a secondary limit (too much at once), false
	// for the hourly budget (the primary limit).
	Secondary bool
	// Limit is the hourly budget (GraphQL points or REST requests),
	// Remaining what is left of it, and Reset when it refills; zero when
	// GitHub did not say.
	Limit, Remaining int
	Reset            time.Time
	// RetryAfter is how long GitHub asked to wait after a secondary limit;
	// zero when it did not say.
	RetryAfter time.Duration
	// Message is GitHub's own.
	Message string
	// Err is the error the refusal came as, if any (go-github's).
	Err error
}

func (e *Error) Error() string {
	if e.Secondary {
		wait := "at least a minute"
		if e.RetryAfter > 0 {
			wait = e.RetryAfter.String()
		}
		return fmt.Sprintf("GitHub's secondary rate limit (too many requests at once): %s; GitHub asks to wait %s: "+
			"run again later, and avoid running many fixproof jobs at once with the same token", e.Message, wait)
	}
	unit := "points"
	if e.API == "REST" {
		unit = "requests"
	}
	budget := ""
	if e.Limit > 0 {
		budget = fmt.Sprintf(" (%d of %d %s an hour left)", e.Remaining, e.Limit, unit)
	}
	when := "once the hour is over"
	if !e.Reset.IsZero() {
		when = "after " + e.Reset.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("GitHub's %s rate limit is spent%s: %s; run again %s, when it refills, "+
		"or give fixproof a token with a larger budget (GITHUB_TOKEN has 1,000 %s an hour per repository, "+
		"a GitHub App installation or a personal access token 5,000)", e.API, budget, e.Message, when, unit)
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads an answer of GitHub's for the rate limits that its status
// and headers alone do not show: the GraphQL primary limit comes as 200
// with an errors entry of type RATE_LIMITED (newer answers: type
// RATE_LIMIT, code graphql_rate_limit); a secondary limit, on either API,
// as 403 or 429 with a message naming it (GraphQL: also as such an errors
// entry), with or without retry-after. It returns nil when the answer
// reports neither. API is "GraphQL" for an errors entry, else empty.
func Read(status int, h http.Header, body []byte) *Error {
	lower := bytes.ToLower(body)
	if !bytes.Contains(lower, []byte("rate_limit")) && !bytes.Contains(lower, []byte("secondary rate limit")) {
		return nil
	}
	var v struct {
		Message string `json:"message"`
		Errors  []struct{ Type, Code, Message string }
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	e := &Error{}
	if status != http.StatusOK && secondary(v.Message) {
		e.Secondary, e.Message = true, v.Message
	}
	for _, ge := range v.Errors {
		if e.Message != "" {
			break
		}
		if ge.Type == "RATE_LIMITED" || ge.Type == "RATE_LIMIT" || ge.Code == "graphql_rate_limit" || secondary(ge.Message) {
			e.API, e.Secondary, e.Message = "GraphQL", secondary(ge.Message), ge.Message
		}
	}
	if e.Message == "" {
		return nil
	}
	e.readHeaders(h)
	return e
}

func (e *Error) readHeaders(h http.Header) {
	e.Limit, _ = strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	e.Remaining, _ = strconv.Atoi(h.Get("X-Ratelimit-Remaining"))
	if secs, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil && secs > 0 {
		e.Reset = time.Unix(secs, 0).UTC()
	}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
}

func secondary(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "secondary rate limit")
}
