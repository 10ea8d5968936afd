// Package jsonhttp sends one JSON request to a vendor's web API and reads
// the answer whole, within a size limit. It is the request half that the
// hand-written Sentry and Guance clients share; what an answer means (its
// status, its envelope, the vendor's error type) stays in each client.
package jsonhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fixproof/fixproof/internal/textcut"
)

// Client sends requests to one API. It is safe for concurrent use as long
// as its fields are not changed.
type Client struct {
	// Service names the API at the start of errors: "sentry" gives
	// "sentry: <op>: ...".
	Service string
	// Base is scheme://host[/prefix] with no trailing slash; each
	// request's path is appended to it.
	Base string
	// Header is sent with every request: credentials, Accept, User-Agent.
	Header http.Header
	// HTTP sends the requests; nil means http.DefaultClient. It does the
	// retrying, if any (fixproof's retry.Transport).
	HTTP *http.Client
	// MaxBody is the most of an answer that is read; a longer answer is
	// an error.
	MaxBody int64
}

// Response is an answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports whether the status is a success (2xx).
func (r *Response) OK() bool { return r.Status >= 200 && r.Status <= 299 }

// Errorf returns an error that starts "<service>: <op>: ".
func (c *Client) Errorf(op, format string, args ...any) error {
	return fmt.Errorf("%s: %s: "+format, append([]any{c.Service, op}, args...)...)
}

// Do sends method to Base+path, with query when it is not empty and body
// as JSON (Content-Type: application/json) when it is not nil, and reads
// the answer. op says what the caller is doing, for errors. An answer of
// any status is a Response, for the caller to judge; the error is for a
// request that could not be encoded, made or sent, and an answer that
// could not be read or is larger than MaxBody.
func (c *Client) Do(ctx context.Context, op, method, path string, query url.Values, body any) (*Response, error) {
	req, err := c.request(ctx, op, method, path, query, body)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.Errorf(op, "%w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxBody+1))
	if err != nil {
		return nil, c.Errorf(op, "reading response: %w", err)
	}
	if int64(len(b)) > c.MaxBody {
		return nil, c.Errorf(op, "response larger than %d bytes", c.MaxBody)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (c *Client) request(ctx context.Context, op, method, path string, query url.Values, body any) (*http.Request, error) {
	u := c.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, c.Errorf(op, "encoding request: %w", err)
		}
		// A *bytes.Reader gives the request a GetBody, so a retrying
		// transport can send it again.
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, c.Errorf(op, "%w", err)
	}
	for k, v := range c.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// Decode reads a successful answer's JSON into out.
func (c *Client) Decode(op string, r *Response, out any) error {
	if err := json.Unmarshal(r.Body, out); err != nil {
		return c.Errorf(op, "decoding response: %w", err)
	}
	return nil
}

// maxSnippet is how much of a body that is not the API's JSON an error
// message quotes.
const maxSnippet = 200

// Snippet is the start of a body that is not the API's JSON (a proxy's
// HTML error page, say), for an error message: trimmed, and cut to 200
// bytes on a character boundary with "..." after it when longer.
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxSnippet {
		s = textcut.Bytes(s, maxSnippet) + "..."
	}
	return s
}
