package githubsim

import (
	"net/http"
	"strconv"
	"time"
)

// Limits are GitHub's rate limits, as the simulator enforces them. The
// zero value enforces none: the primary budgets are still counted and
// reported in the x-ratelimit-* headers (5,000 an hour, GitHub's figure
// for a user), but they never run out. ActionsLimits gives GitHub's
// published limits for a workflow's GITHUB_TOKEN.
//
// What GitHub answers, and the simulator with it (docs.github.com, "Rate
// limits and query limits for the GraphQL API" and "Rate limits for the
// REST API"):
//
//   - GraphQL, primary budget spent (a query costing more points than
//     remain): status 200 with only {"errors": [{"type": "RATE_LIMITED",
//     "message": "API rate limit exceeded for installation ID N."}]} ("user
//     ID N" for a user's token), x-ratelimit-remaining showing what is left
//     (0 once all is spent) and x-ratelimit-reset when the hour ends. The
//     query is not run and costs nothing.
//   - REST, primary budget spent: 403 with x-ratelimit-remaining: 0 and
//     {"message": "API rate limit exceeded for ...", "documentation_url":
//     ...}.
//   - Either API, a secondary limit passed: 403 with retry-after (seconds)
//     and {"message": "You have exceeded a secondary rate limit. Please wait
//     a few minutes before you try again. If you reach out to GitHub
//     Support for help, please include the request ID ...",
//     "documentation_url": ".../rate-limits-for-the-rest-api#about-secondary-rate-limits"}.
//     Every request is refused so until retry-after has passed.
type Limits struct {
	// GraphQLPoints is the primary GraphQL budget, in points an hour.
	GraphQLPoints int
	// RESTRequests is the primary REST budget, in requests an hour.
	RESTRequests int
	// SecondaryRESTPoints and SecondaryGraphQLPoints are the secondary
	// limits on points a minute for each API: a REST GET costs 1 point
	// and a POST, PATCH, PUT or DELETE 5; a GraphQL query 1.
	SecondaryRESTPoints, SecondaryGraphQLPoints int
	// ContentPerMinute and ContentPerHour limit the requests that create
	// content (here: a new comment).
	ContentPerMinute, ContentPerHour int
	// RetryAfter is how long a client that passed a secondary limit must
	// wait, as announced in retry-after; zero means a minute.
	RetryAfter time.Duration
}

// ActionsLimits are GitHub's published limits for GITHUB_TOKEN in a
// GitHub Actions workflow on github.com: 1,000 GraphQL points and 1,000
// REST requests an hour per repository, and the secondary limits every
// client has (900 REST and 2,000 GraphQL points a minute, 80
// content-creating requests a minute and 500 an hour).
func ActionsLimits() Limits {
	return Limits{
		GraphQLPoints: 1000, RESTRequests: 1000,
		SecondaryRESTPoints: 900, SecondaryGraphQLPoints: 2000,
		ContentPerMinute: 80, ContentPerHour: 500,
		RetryAfter: time.Minute,
	}
}

const (
	docRESTRateLimits = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	docSecondary      = docRESTRateLimits + "#about-secondary-rate-limits"
)

// secondaryState is the secondary limits' counters. Guarded by
// Server.rateMu.
type secondaryState struct {
	minuteEnd, hourEnd time.Time
	restPoints, gqlPts int // this minute
	content, contentHr int // content-creating requests this minute, hour
	blockedUntil       time.Time
}

// requestPoints is what a request costs against the secondary limits,
// and whether it creates content.
func requestPoints(r *http.Request, graphql bool) (points int, creates bool) {
	if graphql {
		return 1, false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 1, false
	case http.MethodPost:
		return 5, true
	}
	return 5, false
}

// admitSecondary applies the secondary limits to a request that passed
// authentication, answering 403 with retry-after and returning false when
// the request may not go on. s.rateMu is held.
func (s *Server) admitSecondary(w http.ResponseWriter, r *http.Request, graphql bool) bool {
	l, now := s.limits, s.now()
	if l.SecondaryRESTPoints == 0 && l.SecondaryGraphQLPoints == 0 && l.ContentPerMinute == 0 && l.ContentPerHour == 0 {
		return true
	}
	st := &s.secondary
	if now.Before(st.blockedUntil) {
		s.refuseSecondary(w, st.blockedUntil.Sub(now))
		return false
	}
	if !now.Before(st.minuteEnd) {
		st.minuteEnd, st.restPoints, st.gqlPts, st.content = now.Add(time.Minute), 0, 0, 0
	}
	if !now.Before(st.hourEnd) {
		st.hourEnd, st.contentHr = now.Add(time.Hour), 0
	}
	points, creates := requestPoints(r, graphql)
	over := func(used, add, limit int) bool { return limit > 0 && used+add > limit }
	passed := graphql && over(st.gqlPts, points, l.SecondaryGraphQLPoints) ||
		!graphql && over(st.restPoints, points, l.SecondaryRESTPoints) ||
		creates && (over(st.content, 1, l.ContentPerMinute) || over(st.contentHr, 1, l.ContentPerHour))
	if passed {
		wait := l.RetryAfter
		if wait <= 0 {
			wait = time.Minute
		}
		st.blockedUntil = now.Add(wait)
		st.minuteEnd = time.Time{} // the minute starts again after the block
		s.refuseSecondary(w, wait)
		return false
	}
	if graphql {
		st.gqlPts += points
	} else {
		st.restPoints += points
	}
	if creates {
		st.content++
		st.contentHr++
	}
	return true
}

// refuseSecondary answers a request past a secondary limit.
func (s *Server) refuseSecondary(w http.ResponseWriter, wait time.Duration) {
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	id := w.Header().Get("X-GitHub-Request-Id")
	writeMessage(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "+
		"If you reach out to GitHub Support for help, please include the request ID "+id+".", docSecondary)
}
