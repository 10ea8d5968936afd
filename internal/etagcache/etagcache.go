// Package etagcache makes GET requests conditional. It keeps the last
// 200 answer of each URL that came with an ETag, sends that ETag in
// If-None-Match the next time, and answers a 304 Not Modified with the
// answer it kept. GitHub does not count a 304 against the primary rate
// limit, so a client that reads the same thing again and again (a
// repository's settings file on every event) spends nothing on it while
// it is unchanged.
//
// go-github leaves conditional requests to the transport. The libraries
// its documentation names are not usable here: gregjones/httpcache is
// archived, with no tagged version, and
// bored-engineer/github-conditional-http-transport is not served by our
// module proxy. This is the part of them fixproof needs: no freshness
// rules (every read asks the server), only ETags.
package etagcache

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"sync"
)

// MaxBody is the largest answer kept; larger ones pass through.
const MaxBody = 1 << 20

// Transport is a RoundTripper that makes GETs conditional. One Transport
// serves one credential: answers are kept by URL alone. The zero value is
// not usable; use New.
type Transport struct {
	base http.RoundTripper
	size int

	mu      sync.Mutex
	order   *list.List // of *entry, most recently used first
	entries map[string]*list.Element
}

type entry struct {
	url    string
	etag   string
	header http.Header
	body   []byte
}

// New is base with the last answers of up to size URLs kept (at least 1).
func New(base http.RoundTripper, size int) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base, size: max(size, 1), order: list.New(), entries: map[string]*list.Element{}}
}

// RoundTrip sends req, conditionally when it is a GET of a URL whose
// answer is kept and the caller made no condition of its own.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" || req.Header.Get("Range") != "" {
		return t.base.RoundTrip(req)
	}
	key := req.URL.String()
	kept := t.get(key)
	if kept != nil {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", kept.etag)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && kept != nil:
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return kept.answer(resp), nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if len(body) > MaxBody {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
			return resp, nil
		}
		resp.Body.Close()
		t.put(&entry{url: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body})
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}

// answer is the kept answer as the reply to a 304: status 200 and the kept
// body, with the kept headers updated by the 304's (rate-limit counts, a
// date), as RFC 9111 4.3.4 has a cache do.
func (e *entry) answer(notModified *http.Response) *http.Response {
	h := e.header.Clone()
	for k, v := range notModified.Header {
		h[k] = v
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: notModified.Proto, ProtoMajor: notModified.ProtoMajor, ProtoMinor: notModified.ProtoMinor,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)),
		Request: notModified.Request,
	}
}

func (t *Transport) get(key string) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.entries[key]
	if !ok {
		return nil
	}
	t.order.MoveToFront(el)
	return el.Value.(*entry)
}

func (t *Transport) put(e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[e.url]; ok {
		el.Value = e
		t.order.MoveToFront(el)
		return
	}
	t.entries[e.url] = t.order.PushFront(e)
	for t.order.Len() > t.size {
		last := t.order.Back()
		t.order.Remove(last)
		delete(t.entries, last.Value.(*entry).url)
	}
}
