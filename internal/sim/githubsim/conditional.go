package githubsim

// Conditional requests, as GitHub answers them (docs.github.com, "Best
// practices for using the REST API" and "Rate limits for the REST API"):
//
//   - A REST GET (an installation's, a token's or the app's own) answered
//     200 carries an ETag, weak as GitHub's JSON
//     answers' are, which changes when the answer does.
//   - A GET whose If-None-Match holds that ETag (compared weakly, RFC 9110
//     13.1.2; "*" matches any answer) is answered 304 Not Modified with
//     no body and the same ETag.
//   - A 304 to an authorized request is not counted against the primary
//     rate limit: the request's charge is given back, and the rate-limit
//     headers say so.

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// heldAnswer is a ResponseWriter that keeps the answer instead of sending
// it; its header is the real writer's, since nothing is sent before the
// answer is complete.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header { return h.header }

func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldAnswer) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(p)
}

// conditionally serves r with serve, as a conditional request when it is
// a GET: the answer is held until complete, then sent as a 200 with its
// ETag, or as 304 (given back to who's budget) when r's If-None-Match
// holds that ETag. Other methods are served as they come.
func (s *Server) conditionally(w http.ResponseWriter, r *http.Request, who *principal, serve func(http.ResponseWriter)) {
	if r.Method != http.MethodGet {
		serve(w)
		return
	}
	held := &heldAnswer{header: w.Header()}
	serve(held)
	status := cmp.Or(held.status, http.StatusOK)
	if status == http.StatusOK {
		sum := sha256.Sum256(held.body.Bytes())
		tag := `W/"` + hex.EncodeToString(sum[:]) + `"`
		w.Header().Set("ETag", tag)
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			s.refundREST(w, who)
			w.Header().Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(held.body.Bytes())
}

// etagMatches is If-None-Match's weak comparison: the header lists entity
// tags, or is "*"; W/ is ignored on both sides.
func etagMatches(ifNoneMatch, tag string) bool {
	opaque := func(t string) string { return strings.TrimPrefix(strings.TrimSpace(t), "W/") }
	for _, t := range strings.Split(ifNoneMatch, ",") {
		if strings.TrimSpace(t) == "*" || opaque(t) == opaque(tag) && opaque(t) != "" {
			return true
		}
	}
	return false
}
