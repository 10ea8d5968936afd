package demo

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// withDashboard runs the demo and calls f while its dashboard is up.
func withDashboard(t *testing.T, f func(t *testing.T, res *Result)) {
	t.Helper()
	var out bytes.Buffer
	called := false
	_, err := Run(t.Context(), Options{Out: &out, Dir: t.TempDir(), Storm: 40, AfterStory: func(res *Result) {
		called = true
		f(t, res)
	}})
	if err != nil || !called {
		t.Fatalf("demo: %v (dashboard checked: %v)\n%s", err, called, out.String())
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wideChart is the first chart drawn for a desktop's width.
func wideChart(body string) string {
	_, svg, _ := strings.Cut(body, `class="chart wide"`)
	svg, _, _ = strings.Cut(svg, "</svg>")
	return svg
}

// TestDashboardShowsEveryLoop reads the bot's dashboard over HTTP after a
// demo run: the list, its filter and a loop's page with its chart.
func TestDashboardShowsEveryLoop(t *testing.T) {
	withDashboard(t, func(t *testing.T, res *Result) {
		crash, leak := res.Loops[0], res.Loops[1]
		code, body := get(t, res.Dashboard)
		if code != 200 {
			t.Fatalf("GET /: %d %s", code, body)
		}
		for _, want := range []string{
			`data-key="` + crash.Key + `" data-state="reopened"`, `data-key="` + leak.Key + `" data-state="unverified"`,
			"acme/shop#7", "acme/shop#8", "acme/shop#9", ">Sentry<", ">Guance<", "all 4", "unverified 1", "reopened 1", "verified 1",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the list lacks %q", want)
			}
		}
		_, body = get(t, res.Dashboard+"?state=unverified")
		if strings.Count(body, `class="loop"`) != 1 || !strings.Contains(body, leak.Key) {
			t.Errorf("?state=unverified does not list exactly %s:\n%s", leak.Key, body)
		}
		if code, _ := get(t, res.Dashboard+"?state=bogus"); code != 400 {
			t.Errorf("?state=bogus: %d, want 400", code)
		}

		code, body = get(t, res.Dashboard+"loops/"+leak.Key)
		if code != 200 {
			t.Fatalf("GET /loops/%s: %d %s", leak.Key, code, body)
		}
		// Windows of an hour from 06:00: four before the merge's (10:00),
		// and from it up to the timeout 6h after the deploy at 14:00:
		// fifteen bars.
		if n := strings.Count(wideChart(body), `class="bar"`); n != 15 {
			t.Errorf("%d bars, want 15 (06:00 to 20:00)\n%s", n, body)
		}
		for _, want := range []string{`class="merge"`, `class="deploy"`, "Fix merged: acme/shop#8", "Not verified", "60 events per hour", "30 events per hour",
			"per 1,000 sessions or transactions"} {
			if !strings.Contains(body, want) {
				t.Errorf("the loop page lacks %q", want)
			}
		}
		// The demo judges per 1,000 sessions: a threshold of 1 drawn among
		// 30 events an hour would say the opposite of the decision.
		if strings.Contains(body, `class="threshold"`) {
			t.Error("the loop page draws the sessions threshold over counts of events")
		}
		// The loop that verified and then came back: real counts before
		// the merge (240 an hour), and every step, the decision with its
		// evidence sentence.
		code, body = get(t, res.Dashboard+"loops/"+crash.Key)
		if code != 200 {
			t.Fatalf("GET /loops/%s: %d %s", crash.Key, code, body)
		}
		for _, want := range []string{"240 events per hour", "The first alert became " + crash.Key, "Fix opened: acme/shop#7", "Fix merged: acme/shop#7",
			"Deployed to production: deployment #", "Verified in production and closed", `class="evidence">Errors fell 100% per 1,000 sessions`, "Reopened: the error came back"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page of %s lacks %q:\n%s", crash.Key, want, body)
			}
		}
		code, body = get(t, res.Dashboard+"dead-letters")
		if code != 200 || !strings.Contains(body, "No dead letters") || !strings.Contains(body, "fixproof bot redrive") {
			t.Errorf("GET /dead-letters: %d\n%s", code, body)
		}
		if code, body := get(t, res.Dashboard+"loops/OPS-999"); code != 404 || !strings.Contains(body, `<a id="back" href="/">`) {
			t.Errorf("an unknown key: %d, want a 404 page with a way back\n%s", code, body)
		}
		if code, body := get(t, res.Dashboard+"loops/OPS-1%22"); code != 400 || !strings.Contains(body, `<a id="back" href="/">`) {
			t.Errorf("a bad key: %d, want a 400 page with a way back\n%s", code, body)
		}
	})
}
