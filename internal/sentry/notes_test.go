package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

func TestNotesFollowPagination(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	const total = 250
	for i := 0; i < total; i++ {
		e.clock.Set(noon.Add(time.Duration(i) * time.Second))
		author := "Jane Doe"
		if i%2 == 1 {
			author = ""
		}
		e.s.AddNote("4711", author, fmt.Sprintf("note %d", i))
	}
	notes, err := e.c.Notes(ctx, "4711")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != total {
		t.Fatalf("%d notes, want %d", len(notes), total)
	}
	// Newest first, as Sentry lists them.
	for i, n := range notes {
		k := total - 1 - i
		if n.Text != fmt.Sprintf("note %d", k) || !n.Created.Equal(noon.Add(time.Duration(k)*time.Second)) {
			t.Fatalf("note %d: %+v, want note %d", i, n, k)
		}
		wantAuthor := "Jane Doe"
		if k%2 == 1 {
			wantAuthor = ""
		}
		if n.Author != wantAuthor || n.ID == "" {
			t.Errorf("note %d: author %q, id %q", i, n.Author, n.ID)
		}
	}
	if n := e.s.Control.Count("GET /api/0/organizations/acme/issues/4711/comments/"); n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
}

func TestNotesNone(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	notes, err := e.c.Notes(ctx, "4711")
	if err != nil || len(notes) != 0 {
		t.Errorf("%+v, %v", notes, err)
	}
	// Exactly one page, whose Link says results="false" for next.
	if n := e.s.Control.Total(); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestAddNote(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	n, err := e.c.AddNote(ctx, "4711", "  Fixed by acme/shop#12, verified in production.\n")
	if err != nil {
		t.Fatal(err)
	}
	// Sentry trims the text.
	want := Note{ID: n.ID, Text: "Fixed by acme/shop#12, verified in production.", Author: "fixproof", Created: noon}
	if n != want || n.ID == "" {
		t.Errorf("note %+v, want %+v", n, want)
	}
	st, _ := e.s.Issue("4711")
	if len(st.Notes) != 1 || st.Notes[0] != want.Text {
		t.Errorf("server notes %q", st.Notes)
	}
	notes, err := e.c.Notes(ctx, "4711")
	if err != nil || len(notes) != 1 || notes[0] != want {
		t.Errorf("listed %+v, %v", notes, err)
	}

	// The same note again within the hour is refused, as Sentry does.
	e.clock.Set(noon.Add(59 * time.Minute))
	_, err = e.c.AddNote(ctx, "4711", want.Text)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Detail != "You have already posted that comment." {
		t.Errorf("duplicate: %v", err)
	}
	e.clock.Set(noon.Add(61 * time.Minute))
	if _, err := e.c.AddNote(ctx, "4711", want.Text); err != nil {
		t.Errorf("an hour later: %v", err)
	}
	if st, _ := e.s.Issue("4711"); len(st.Notes) != 2 {
		t.Errorf("server notes %q", st.Notes)
	}
}

func TestAddNoteRefusesBlankText(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	for _, text := range []string{"", " \n\t"} {
		if _, err := e.c.AddNote(ctx, "4711", text); err == nil {
			t.Errorf("AddNote(%q) accepted", text)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// pager serves notes pages with canned Link headers, recording requests.
type pager struct {
	mu    sync.Mutex
	seen  []string
	links func(cursor string) string
}

func (p *pager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Host+r.URL.RequestURI())
	p.mu.Unlock()
	c := r.URL.Query().Get("cursor")
	w.Header().Set("Link", p.links(c))
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `[{"id":"%d","type":"note","data":{"text":"page %s"},"user":null,"dateCreated":"2026-03-02T12:00:00Z"}]`, len(c), c)
}

func (p *pager) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func pagerClient(t *testing.T, p *pager) (*Client, string) {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Token: "t", Org: "acme", HTTPClient: &http.Client{Transport: checked(t, http.DefaultTransport)}})
	if err != nil {
		t.Fatal(err)
	}
	return c, strings.TrimPrefix(srv.URL, "http://")
}

// TestNotesStayOnTheBaseURL serves a next link to another host: the
// client asks its own server for that cursor, and the token never goes
// elsewhere.
func TestNotesStayOnTheBaseURL(t *testing.T) {
	elsewhere := &pager{links: func(string) string { return "" }}
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	p := &pager{links: func(c string) string {
		if c == "" {
			return `<` + other.URL + `/api/0/organizations/acme/issues/1/comments/?&cursor=1:100:0>; rel="previous"; results="false"; cursor="1:0:1", ` +
				`<` + other.URL + `/api/0/organizations/acme/issues/1/comments/?&cursor=1:100:0>; rel="next"; results="true"; cursor="1:100:0"`
		}
		return `<x>; rel="next"; results="false"; cursor="1:200:0"`
	}}
	c, host := pagerClient(t, p)
	notes, err := c.Notes(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[1].Text != "page 1:100:0" {
		t.Errorf("notes %+v", notes)
	}
	want := []string{host + "/api/0/organizations/acme/issues/1/comments/", host + "/api/0/organizations/acme/issues/1/comments/?cursor=1%3A100%3A0"}
	if got := p.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if got := elsewhere.requests(); len(got) != 0 {
		t.Errorf("the other host was asked %q", got)
	}
}

// TestNotesCursorFromURL follows a next link that has no cursor parameter,
// taking the cursor from the link's query.
func TestNotesCursorFromURL(t *testing.T) {
	p := &pager{links: func(c string) string {
		if c == "" {
			return `<https://sentry.example.com/api/0/organizations/acme/issues/1/comments/?cursor=2:100:0>; rel="next"; results="true"`
		}
		return ""
	}}
	c, _ := pagerClient(t, p)
	if notes, err := c.Notes(ctx, "1"); err != nil || len(notes) != 2 {
		t.Errorf("%+v, %v", notes, err)
	}
}

// TestNotesLoop serves a next link that never changes: the client stops.
func TestNotesLoop(t *testing.T) {
	p := &pager{links: func(string) string { return `<u>; rel="next"; results="true"; cursor="0:100:0"` }}
	c, _ := pagerClient(t, p)
	_, err := c.Notes(ctx, "1")
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("err = %v", err)
	}
	if n := len(p.requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

// TestNotesPageLimit serves ever new cursors: the client gives up after
// maxPages pages.
func TestNotesPageLimit(t *testing.T) {
	p := &pager{}
	p.links = func(c string) string {
		return fmt.Sprintf(`<u>; rel="next"; results="true"; cursor="0:%d:0"`, len(p.requests())*100)
	}
	c, _ := pagerClient(t, p)
	_, err := c.Notes(ctx, "1")
	if err == nil || !strings.Contains(err.Error(), "more than 100 pages") {
		t.Errorf("err = %v", err)
	}
	if n := len(p.requests()); n != maxPages {
		t.Errorf("%d requests, want %d", n, maxPages)
	}
}

func TestUpdateAndDeleteNotes(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.s.AddIssue(sentrysim.Issue{ID: "42", Title: "boom"})
	n, err := e.c.AddNote(context.Background(), "42", "first")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.c.UpdateNote(context.Background(), "42", n.ID, "second"); err != nil || got.Text != "second" {
		t.Fatalf("update: %+v %v", got, err)
	}
	if st, _ := e.s.Issue("42"); len(st.Notes) != 1 || st.Notes[0] != "second" {
		t.Errorf("notes %v", st.Notes)
	}
	if err := e.c.DeleteNote(context.Background(), "42", n.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteNote(context.Background(), "42", n.ID); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if st, _ := e.s.Issue("42"); len(st.Notes) != 0 {
		t.Errorf("notes after delete %v", st.Notes)
	}
	if _, err := e.c.UpdateNote(context.Background(), "42", "x", "t"); err == nil {
		t.Error("a bad note id must be refused before sending")
	}
}
