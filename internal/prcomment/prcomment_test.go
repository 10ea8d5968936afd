package prcomment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/google/go-github/v75/github"
)

const (
	token  = "ghs_prcommenttest"
	marker = "verify/OPS-1"
	line   = "<!-- fixproof:verify/OPS-1 -->"
	bot    = "github-actions[bot]" // what GITHUB_TOKEN writes as
	pat    = "fixproof-ci"         // the owner of a personal access token
)

// auth adds the token, as the caller's transport does.
type auth struct{ base http.RoundTripper }

func (a auth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	base := a.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

type world struct {
	gh *githubsim.Server
	ts *httptest.Server
}

// newWorld is a simulator whose token belongs to login, with pull request
// acme/widgets#7.
func newWorld(t *testing.T, login string) *world {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	gh := githubsim.New(githubsim.Options{Token: token, Login: login, Now: clock})
	gh.AddPullRequest("acme", "widgets", githubsim.PullRequest{Number: 7, Title: "OPS-1 fix", State: "MERGED"})
	ts := httptest.NewServer(gh.Handler())
	t.Cleanup(ts.Close)
	return &world{gh: gh, ts: ts}
}

// client is a fresh client (a new run) for the API at ts.URL+prefix.
func (w *world) client(t *testing.T, prefix string, base http.RoundTripper) *prcomment.Client {
	t.Helper()
	c, err := prcomment.New(w.ts.URL+prefix, &http.Client{Transport: auth{base: base}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) comments(number int) []githubsim.IssueComment {
	return w.gh.Comments("acme", "widgets", number)
}

// writes counts the requests that change anything.
func (w *world) writes() int {
	return w.gh.Control.CountPrefix("POST ") + w.gh.Control.CountPrefix("PATCH ") + w.gh.Control.CountPrefix("DELETE ")
}

func upsert(t *testing.T, c *prcomment.Client, number int, body string) prcomment.Outcome {
	t.Helper()
	out, err := c.Upsert(context.Background(), "acme/widgets", number, marker, body)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return out
}

func TestCreateUnchangedUpdate(t *testing.T) {
	for _, login := range []string{bot, pat} {
		t.Run(login, func(t *testing.T) {
			w := newWorld(t, login)
			if out := upsert(t, w.client(t, "", nil), 7, "Verified in **prod**."); out != prcomment.Created {
				t.Fatalf("first run: %s", out)
			}
			got := w.comments(7)
			if len(got) != 1 || got[0].Body != line+"\nVerified in **prod**." || got[0].Author != login {
				t.Fatalf("after create: %+v", got)
			}
			// Creating needs no GET /user: the new comment names the author.
			if n := w.gh.Control.Count("GET /user"); n != 0 {
				t.Errorf("GET /user x%d on create", n)
			}

			w.gh.Control.Reset()
			if out := upsert(t, w.client(t, "", nil), 7, "Verified in **prod**."); out != prcomment.Unchanged {
				t.Errorf("same body: %s", out)
			}
			if n := w.writes(); n != 0 {
				t.Errorf("unchanged run wrote: %v", w.gh.Control.Routes())
			}

			w.gh.Control.Reset()
			if out := upsert(t, w.client(t, "", nil), 7, "Verified again."); out != prcomment.Updated {
				t.Errorf("new body: %s", out)
			}
			after := w.comments(7)
			if len(after) != 1 || after[0].ID != got[0].ID || after[0].Body != line+"\nVerified again." || !after[0].Updated.After(after[0].Created) {
				t.Errorf("after update: %+v", after)
			}
			if w.gh.Control.CountPrefix("PATCH ") != 1 || w.gh.Control.CountPrefix("POST ") != 0 || w.gh.Control.CountPrefix("DELETE ") != 0 {
				t.Errorf("update requests: %v", w.gh.Control.Routes())
			}
		})
	}
}

// TestPostIsOneRequestAndUpsertFindsIt: Post writes the marked comment in
// one request (no list, no GET /user), and a later Upsert of another run
// finds it: unchanged for the same body, edited for another.
func TestPostIsOneRequestAndUpsertFindsIt(t *testing.T) {
	for _, login := range []string{bot, pat} {
		t.Run(login, func(t *testing.T) {
			w := newWorld(t, login)
			if err := w.client(t, "", nil).Post(context.Background(), "acme/widgets", 7, marker, "Verified."); err != nil {
				t.Fatal(err)
			}
			if n := w.gh.Control.Total(); n != 1 {
				t.Errorf("Post made %d requests, want 1: %v", n, w.gh.Control.Routes())
			}
			if out := upsert(t, w.client(t, "", nil), 7, "Verified."); out != prcomment.Unchanged {
				t.Errorf("upsert of the same body: %s", out)
			}
			if out := upsert(t, w.client(t, "", nil), 7, "Verified again."); out != prcomment.Updated {
				t.Errorf("upsert of another body: %s", out)
			}
			if got := w.comments(7); len(got) != 1 || got[0].Body != line+"\nVerified again." {
				t.Errorf("comments %+v", got)
			}
			if err := w.client(t, "", nil).Post(context.Background(), "acme/widgets", 7, "bad marker", "x"); err == nil {
				t.Error("Post took a marker Upsert refuses")
			}
		})
	}
}

// lookalikes are comments by a person that carry the marker text but are
// not fixproof's.
var lookalikes = []string{
	"The bot wrote:\n```\n" + line + "\nVerified in prod.\n```",
	"> " + line + "\n> Verified in prod.\n\nIs it, though?",
	"  " + line + "\nindented",
	line + " and some words\nVerified in prod.",
	"Verified in prod.\n" + line,
	line + "\nVerified in prod.", // an exact copy, by someone else
}

func TestIgnoresCommentsThatOnlyQuoteTheMarker(t *testing.T) {
	for _, login := range []string{bot, pat} {
		t.Run(login, func(t *testing.T) {
			w := newWorld(t, login)
			for _, body := range lookalikes {
				w.gh.AddComment("acme", "widgets", 7, "alice", body)
			}
			// Our own account, quoting the marker (another workflow step
			// using the same token, say) or using another marker that
			// shares a prefix: only the exact first line counts.
			w.gh.AddComment("acme", "widgets", 7, login, "Step log:\n```\n"+line+"\n```")
			w.gh.AddComment("acme", "widgets", 7, login, "Summary\n"+line)
			w.gh.AddComment("acme", "widgets", 7, login, line+" (quoted)\nVerified in prod.")
			w.gh.AddComment("acme", "widgets", 7, login, "<!-- fixproof:verify/OPS-10 -->\nother")
			if login == pat {
				// With a user token, a bot's exact copy is not ours either.
				w.gh.AddComment("acme", "widgets", 7, "dependabot[bot]", line+"\nVerified in prod.")
			}
			before := w.comments(7)

			c := w.client(t, "", nil)
			if out := upsert(t, c, 7, "Verified in prod."); out != prcomment.Created {
				t.Fatalf("first run: %s", out)
			}
			if out := upsert(t, c, 7, "Verified in prod, twice."); out != prcomment.Updated {
				t.Fatalf("second run: %s", out)
			}
			after := w.comments(7)
			if len(after) != len(before)+1 {
				t.Fatalf("%d comments, want %d", len(after), len(before)+1)
			}
			for i := range before {
				if after[i] != before[i] {
					t.Errorf("someone else's comment changed:\n was %+v\n now %+v", before[i], after[i])
				}
			}
			if ours := after[len(before)]; ours.Author != login || ours.Body != line+"\nVerified in prod, twice." {
				t.Errorf("ours: %+v", ours)
			}
			// GET /user is asked once, then remembered.
			if n := w.gh.Control.Count("GET /user"); n > 1 {
				t.Errorf("GET /user x%d", n)
			}
		})
	}
}

func TestFindsTheCommentOfAnEarlierRun(t *testing.T) {
	for _, login := range []string{bot, pat} {
		t.Run(login, func(t *testing.T) {
			w := newWorld(t, login)
			w.gh.AddComment("acme", "widgets", 7, "alice", line+"\nhuman copy")
			old := w.gh.AddComment("acme", "widgets", 7, login, line+"\nfrom yesterday")
			c := w.client(t, "", nil)
			if out := upsert(t, c, 7, "from today"); out != prcomment.Updated {
				t.Fatalf("outcome %s", out)
			}
			if out := upsert(t, c, 7, "from today"); out != prcomment.Unchanged {
				t.Fatalf("again: %s", out)
			}
			got := w.comments(7)
			if len(got) != 2 || got[0].Body != line+"\nhuman copy" || got[1].ID != old.ID || got[1].Body != line+"\nfrom today" {
				t.Errorf("comments: %+v", got)
			}
			if n := w.gh.Control.Count("GET /user"); n != 1 {
				t.Errorf("GET /user x%d, want 1", n)
			}
		})
	}
}

func TestRemovesLeftoverDuplicates(t *testing.T) {
	w := newWorld(t, bot)
	first := w.gh.AddComment("acme", "widgets", 7, bot, line+"\nsame")
	w.gh.AddComment("acme", "widgets", 7, "alice", "a reply")
	w.gh.AddComment("acme", "widgets", 7, bot, line+"\nsame")
	w.gh.AddComment("acme", "widgets", 7, bot, line+"\nolder text")
	if out := upsert(t, w.client(t, "", nil), 7, "same"); out != prcomment.Unchanged {
		t.Errorf("outcome %s", out)
	}
	got := w.comments(7)
	if len(got) != 2 || got[0].ID != first.ID || got[1].Body != "a reply" {
		t.Errorf("comments: %+v", got)
	}
}

// TestPaginationOnEnterprise finds fixproof's comments past the first page,
// through the GHES prefix.
func TestPaginationOnEnterprise(t *testing.T) {
	w := newWorld(t, pat)
	ours := w.gh.AddComment("acme", "widgets", 7, pat, line+"\nv1")
	for i := range 249 {
		w.gh.AddComment("acme", "widgets", 7, "alice", fmt.Sprintf("chatter %d", i))
	}
	w.gh.AddComment("acme", "widgets", 7, pat, line+"\nv1") // a duplicate on page 3
	if out := upsert(t, w.client(t, "/api/v3", nil), 7, "v1"); out != prcomment.Unchanged {
		t.Errorf("outcome %s", out)
	}
	if n := w.gh.Control.Count("GET /api/v3/repos/acme/widgets/issues/7/comments"); n != 3 {
		t.Errorf("listed %d pages, want 3: %v", n, w.gh.Control.Routes())
	}
	got := w.comments(7)
	if len(got) != 250 || got[0].ID != ours.ID || strings.HasPrefix(got[249].Body, line) {
		t.Errorf("%d comments, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
	if w.gh.Control.Total() != w.gh.Control.CountPrefix("GET /api/v3/")+w.gh.Control.CountPrefix("DELETE /api/v3/") {
		t.Errorf("requests outside /api/v3: %v", w.gh.Control.Routes())
	}
}

// gate holds every comment creation until need comment listings have
// completed, so concurrent runs all look before any of them writes, and
// records the ids created.
type gate struct {
	need int

	mu      sync.Mutex
	lists   int
	open    chan struct{}
	created []int64
}

func newGate(need int) *gate { return &gate{need: need, open: make(chan struct{})} }

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	isList := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/comments")
	if r.Method == http.MethodPost {
		select {
		case <-g.open:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if isList {
		if g.lists++; g.lists == g.need {
			close(g.open)
		}
	}
	if r.Method == http.MethodPost && resp.StatusCode == http.StatusCreated {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var c struct{ ID int64 }
		if json.Unmarshal(b, &c) == nil {
			g.created = append(g.created, c.ID)
		}
	}
	return resp, nil
}

func TestConcurrentRunsConverge(t *testing.T) {
	for round, bodies := range [][2]string{
		{"same", "same"}, {"same", "same"}, {"same", "same"},
		{"from run A", "from run B"}, {"from run A", "from run B"},
	} {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			w := newWorld(t, bot)
			w.gh.Control.SetLatency(15 * time.Millisecond)
			g := newGate(2)
			clients := [2]*prcomment.Client{w.client(t, "", g), w.client(t, "", g)}

			start := make(chan struct{})
			var wg sync.WaitGroup
			var outs [2]prcomment.Outcome
			var errs [2]error
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					outs[i], errs[i] = clients[i].Upsert(ctx, "acme/widgets", 7, marker, bodies[i])
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
			}

			if len(g.created) != 2 {
				t.Fatalf("the runs did not race: created %v", g.created)
			}
			winner := min(g.created[0], g.created[1])
			got := w.comments(7)
			if len(got) != 1 || got[0].ID != winner {
				t.Fatalf("comments %+v, want only %d", got, winner)
			}
			// The run whose comment is older reports Created; the other
			// deleted its own and reports what it did to the older one.
			var created, other int
			for i, out := range outs {
				if out == prcomment.Created {
					created++
				} else {
					other = i
				}
			}
			wantOther := prcomment.Unchanged
			if bodies[0] != bodies[1] {
				wantOther = prcomment.Updated
			}
			if created != 1 || outs[other] != wantOther {
				t.Errorf("outcomes %v, want one %s and one %s", outs, prcomment.Created, wantOther)
			}
			if want := line + "\n" + bodies[other]; got[0].Body != want {
				t.Errorf("body %q, want %q (the last writer's)", got[0].Body, want)
			}
		})
	}
}

func TestServerErrorsSurface(t *testing.T) {
	w := newWorld(t, bot)
	w.gh.Control.Inject(sim.Fault{PathPrefix: "/repos/acme/widgets/issues/7/comments", Status: http.StatusBadGateway, Body: `{"message":"Server Error"}`})
	c := w.client(t, "", nil)
	_, err := c.Upsert(context.Background(), "acme/widgets", 7, marker, "body")
	var er *github.ErrorResponse
	if err == nil || !strings.HasPrefix(err.Error(), "prcomment: acme/widgets#7: list comments") || !errors.As(err, &er) || er.Response.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v", err)
	}
	if got := w.comments(7); len(got) != 0 || w.writes() != 0 {
		t.Errorf("wrote after a failed list: %+v %v", got, w.gh.Control.Routes())
	}
	// Exactly one request: the client does not retry on its own.
	if n := w.gh.Control.Total(); n != 1 {
		t.Errorf("%d requests: %v", n, w.gh.Control.Routes())
	}

	ours := w.gh.AddComment("acme", "widgets", 7, bot, line+"\nold")
	w.gh.Control.Inject(sim.Fault{PathPrefix: "/repos/acme/widgets/issues/comments/", Status: http.StatusServiceUnavailable})
	_, err = c.Upsert(context.Background(), "acme/widgets", 7, marker, "new")
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("prcomment: acme/widgets#7: edit comment %d: ", ours.ID)) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("edit err = %v", err)
	}
	if got := w.comments(7); len(got) != 1 || got[0].Body != line+"\nold" {
		t.Errorf("after failed edit: %+v", got)
	}

	// A 401 (wrong token) is an error too.
	bad, _ := prcomment.New(w.ts.URL, &http.Client{})
	if _, err := bad.Upsert(context.Background(), "acme/widgets", 7, marker, "x"); err == nil || !strings.Contains(err.Error(), "401 Requires authentication") {
		t.Errorf("no token: %v", err)
	}
	// So is a pull request that does not exist.
	if _, err := c.Upsert(context.Background(), "acme/widgets", 8, marker, "x"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown PR: %v", err)
	}
}

func TestRejectsBadInput(t *testing.T) {
	w := newWorld(t, bot)
	c := w.client(t, "", nil)
	ctx := context.Background()
	for _, m := range []string{"", "has space", "a>b", "-->", "a<!--", "naïve", "x\n", strings.Repeat("a", 101), "a,b", "OPS-1!"} {
		if _, err := c.Upsert(ctx, "acme/widgets", 7, m, "body"); err == nil || !strings.Contains(err.Error(), "prcomment: acme/widgets#7: marker") {
			t.Errorf("marker %q: err = %v", m, err)
		}
	}
	for _, repo := range []string{"", "acme", "acme/", "/widgets", "acme/widgets/x", "acme/wid gets"} {
		if _, err := c.Upsert(ctx, repo, 7, marker, "body"); err == nil || !strings.Contains(err.Error(), "want \"owner/name\"") {
			t.Errorf("repo %q: err = %v", repo, err)
		}
	}
	if _, err := c.Upsert(ctx, "acme/widgets", 0, marker, "body"); err == nil {
		t.Error("number 0 accepted")
	}
	long := strings.Repeat("é", prcomment.MaxBody-len(line)) // with "\n": one too many
	if _, err := c.Upsert(ctx, "acme/widgets", 7, marker, long); err == nil || !strings.Contains(err.Error(), "65537 characters") {
		t.Errorf("long body: err = %v", err)
	}
	if n := w.gh.Control.Total(); n != 0 {
		t.Errorf("bad input reached the server: %v", w.gh.Control.Routes())
	}

	// The edges that are allowed.
	for _, m := range []string{strings.Repeat("a", 100), "verify:OPS-1/prod_eu.2", "-", "a--b"} {
		if _, err := c.Upsert(ctx, "acme/widgets", 7, m, "ok"); err != nil {
			t.Errorf("marker %q: %v", m, err)
		}
	}
	if _, err := c.Upsert(ctx, "acme/widgets", 7, marker, long[2:]); err != nil {
		t.Errorf("a body of exactly %d characters: %v", prcomment.MaxBody, err)
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "api.github.com", "ftp://api.github.com", "https://", "https://api.github.com?x=1", "https://user:pw@api.github.com", "http://[::1"} {
		if _, err := prcomment.New(u, http.DefaultClient); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := prcomment.New("https://api.github.com", nil); err == nil {
		t.Error("nil http.Client accepted")
	}
	for _, u := range []string{"https://api.github.com", "https://ghe.example.com/api/v3/", " https://ghe.example.com/api/v3 "} {
		if _, err := prcomment.New(u, http.DefaultClient); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}
