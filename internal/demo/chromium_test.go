package demo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds a headless-capable Chromium, or skips.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: install Debian's chromium package (.ci/run does) to render the dashboard in a real browser")
	return ""
}

// screenshots is where the screenshots go: $FIXPROOF_SCREENSHOTS, or a
// new directory under the system's temporary one, kept for a person to
// look at and named in the test's output.
func screenshots(t *testing.T) string {
	dir := os.Getenv("FIXPROOF_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "fixproof-dashboard-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts headless Chromium, with no network but loopback, for the
// length of the test.
func browser(t *testing.T, bin string) context.Context {
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// screen is a width the dashboard is checked at.
type screen struct {
	name          string
	width, height int64
	phone         bool
}

var screens = []screen{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}

// tab opens a tab of the browser at the screen's size.
func tab(t *testing.T, browser context.Context, s screen) context.Context {
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if s.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(s.width, s.height, opts...)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs steps in the tab.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a script in the tab's page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	return v
}

// shoot saves a screenshot of the whole page.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 2000 {
		t.Errorf("screenshot %s: %d bytes", path, len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// listState is what the rendered list shows, as the DOM says.
type listState struct {
	Keys      []string          `json:"keys"`
	Links     map[string]string `json:"links"` // of the first row: class -> href
	Fresh     string            `json:"fresh"`
	Numbers   []string          `json:"numbers"`
	Sparks    int               `json:"sparks"`
	Overflow  float64           `json:"overflow"` // how far the page is wider than the screen
	SearchFor string            `json:"searchFor"`
}

const readList = `(() => {
	const rows = [...document.querySelectorAll('#loops tr.loop')];
	const links = {};
	if (rows.length) for (const a of rows[0].querySelectorAll('a')) links[a.className] = a.href;
	return {
		keys: rows.map(r => r.dataset.key),
		links,
		fresh: (document.querySelector('#freshness') || {}).textContent || '',
		numbers: [...document.querySelectorAll('#numbers .num h2')].map(h => h.textContent),
		sparks: [...document.querySelectorAll('#numbers svg.spark')].filter(s => s.getBoundingClientRect().width > 0).length,
		overflow: document.documentElement.scrollWidth - window.innerWidth,
		searchFor: (document.querySelector('input[name=q]') || {}).value || '',
	};
})()`

// chartState is what the chart a screen shows looks like, as rendered:
// which of the two layouts is visible, its ticks, legend, title and
// description, its smallest text in CSS pixels, and any text that
// overlaps a bar or another text.
type chartState struct {
	Visible  string   `json:"visible"`
	Ticks    []string `json:"ticks"`
	Unit     string   `json:"unit"`
	Legend   []string `json:"legend"`
	Title    string   `json:"title"`
	Desc     string   `json:"desc"`
	Labelled bool     `json:"labelled"`
	Bars     int      `json:"bars"`
	Font     float64  `json:"font"`
	Overlaps []string `json:"overlaps"`
	Width    float64  `json:"width"`
	Overflow float64  `json:"overflow"`
}

const readChart = `(() => {
	const svg = [...document.querySelectorAll('svg.chart')].find(s => getComputedStyle(s).display !== 'none');
	if (!svg) return {visible: ''};
	const box = e => e.getBoundingClientRect();
	const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
	const bars = [...svg.querySelectorAll('rect.bar')];
	const texts = [...svg.querySelectorAll('text')];
	const scale = box(svg).width / svg.viewBox.baseVal.width;
	const overlaps = [];
	texts.forEach((t, i) => {
		const b = box(t);
		for (const r of bars) if (box(r).height > 0 && hit(b, box(r))) overlaps.push(t.textContent + ' over a bar');
		texts.slice(i + 1).forEach(u => { if (hit(b, box(u))) overlaps.push(t.textContent + ' over ' + u.textContent); });
	});
	const ids = (svg.getAttribute('aria-labelledby') || '').split(' ');
	return {
		visible: svg.getAttribute('class'),
		ticks: [...svg.querySelectorAll('text.tick')].map(t => t.textContent),
		unit: (svg.querySelector('text.unit') || {}).textContent || '',
		legend: [...svg.querySelectorAll('.legend-item text')].map(t => t.textContent),
		title: svg.querySelector('title').textContent,
		desc: svg.querySelector('desc').textContent,
		labelled: ids.length === 2 && ids.every(id => svg.querySelector('#' + CSS.escape(id))),
		bars: bars.length,
		font: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
		overlaps,
		width: box(svg).width,
		overflow: document.documentElement.scrollWidth - window.innerWidth,
	};
})()`

// TestDashboardRendersInChromium loads the dashboard in headless Chromium
// at a desktop's and a phone's width and checks the rendered DOM: the
// search finds a loop through the real form, each row links to Jira,
// Sentry and the pull request, the numbers are at the top, the chart
// shows its ticks, unit and legend with no label over a bar at a
// readable size, the 404 page has a way back, and with Jira stopped the
// list still renders and says how old it is. It saves screenshots of each
// page at both widths.
func TestDashboardRendersInChromium(t *testing.T) {
	bin := chromium(t)
	withDashboard(t, func(t *testing.T, res *Result) {
		dir := screenshots(t)
		b := browser(t, bin)
		crash, leak := res.Loops[0], res.Loops[1]
		for _, s := range screens {
			t.Run(s.name, func(t *testing.T) {
				ctx := tab(t, b, s)
				checkList(t, ctx, res, crash)
				shoot(t, ctx, dir, s.name+"-list.png")
				checkSearch(t, ctx, res, leak)
				shoot(t, ctx, dir, s.name+"-search.png")
				checkChart(t, ctx, res, leak, s)
				shoot(t, ctx, dir, s.name+"-loop.png")
				do(t, ctx, chromedp.Navigate(res.Dashboard+"dead-letters"))
				shoot(t, ctx, dir, s.name+"-dead.png")
				do(t, ctx, chromedp.Navigate(res.Dashboard+"loops/OPS-999"))
				if back := eval[string](t, ctx, `document.querySelector('#back').href`); back != res.Dashboard {
					t.Errorf("the 404 page's way back goes to %q, want %q", back, res.Dashboard)
				}
				shoot(t, ctx, dir, s.name+"-404.png")
			})
		}

		// Jira stops: the list renders from the snapshot and says so.
		res.world.servers["jira"].Close()
		if _, err := res.world.dash.Refresh(t.Context()); err == nil {
			t.Fatal("a refresh with Jira stopped did not fail")
		}
		for _, s := range screens {
			ctx := tab(t, b, s)
			do(t, ctx, chromedp.Navigate(res.Dashboard))
			got := eval[listState](t, ctx, readList)
			if len(got.Keys) != 4 || !strings.HasPrefix(got.Fresh, "Data as of 0 s ago") || !strings.Contains(got.Fresh, "Jira unreachable since") {
				t.Errorf("%s, Jira stopped: keys %v, freshness %q", s.name, got.Keys, got.Fresh)
			}
			shoot(t, ctx, dir, s.name+"-list-jira-stopped.png")
		}
	})
}

// checkList: every loop, each row with its links, the numbers with their
// trend lines, and nothing wider than the screen.
func checkList(t *testing.T, ctx context.Context, res *Result, first Loop) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(res.Dashboard))
	got := eval[listState](t, ctx, readList)
	if len(got.Keys) != 4 || got.Fresh != "Updated 0 s ago." || got.Overflow > 0 {
		t.Errorf("the list: keys %v, freshness %q, %g px wider than the screen", got.Keys, got.Fresh, got.Overflow)
	}
	wantNumbers := []string{"Loops", "first alert to issue", "to fix merged", "to deployed", "to verified (MTTR)", "verified", "not fixed", "reopened within 30 days"}
	if !slices.Equal(got.Numbers, wantNumbers) || got.Sparks != len(wantNumbers) {
		t.Errorf("the numbers %q with %d trend lines, want %q with one each", got.Numbers, got.Sparks, wantNumbers)
	}
	key := first.Key
	links := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('tr[data-key="`+key+`"] a')].map(a => [a.className, a.href]))`)
	want := map[string]string{"page": res.Dashboard + "loops/" + key, "jira": res.world.urls["jira"] + "/browse/" + key,
		"sentry": res.world.urls["sentry"] + "/organizations/acme/issues/" + first.SentryID + "/", "pr": "https://github.com/acme/shop/pull/7"}
	for class, href := range want {
		if links[class] != href {
			t.Errorf("the %s link of %s goes to %q, want %q", class, key, links[class], href)
		}
	}
}

// checkSearch types a key into the search box and presses Enter: the
// list shows that loop alone.
func checkSearch(t *testing.T, ctx context.Context, res *Result, want Loop) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(`input[name=q]`, want.Key+kb.Enter))
	if err != nil || resp.Status != 200 || !strings.Contains(resp.URL, "q="+want.Key) {
		t.Fatalf("the search loaded %+v: %v", resp, err)
	}
	got := eval[listState](t, ctx, readList)
	if !slices.Equal(got.Keys, []string{want.Key}) || got.SearchFor != want.Key {
		t.Errorf("searching %s: keys %v, the box says %q", want.Key, got.Keys, got.SearchFor)
	}
}

// checkChart opens a loop's page: the chart for the screen's width, with
// ticks, unit, legend, title and description, no text over a bar or
// another text, none smaller than 11 px, and no wider than the screen.
func checkChart(t *testing.T, ctx context.Context, res *Result, l Loop, s screen) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(res.Dashboard+"loops/"+l.Key))
	got := eval[chartState](t, ctx, readChart)
	layout := "chart wide"
	if s.phone {
		layout = "chart narrow"
	}
	if got.Visible != layout || got.Bars != 15 || got.Overflow > 0 || got.Width > float64(s.width) {
		t.Errorf("%s: the chart shown is %q with %d bars, %g px wide, the page %g px wider than the screen; want %q with 15",
			s.name, got.Visible, got.Bars, got.Width, got.Overflow, layout)
	}
	if !slices.Equal(got.Ticks, []string{"0", "20", "40", "60"}) || got.Unit != "events per hour" {
		t.Errorf("%s: ticks %q, unit %q", s.name, got.Ticks, got.Unit)
	}
	// The demo judges per 1,000 sessions: its threshold is not drawn over
	// events, and the figure says why.
	if !slices.Equal(got.Legend, []string{"events", "fix merged", "deployed"}) {
		t.Errorf("%s: legend %q", s.name, got.Legend)
	}
	if got.Title != "Sentry issue "+l.SentryID+": events per hour" || !strings.Contains(got.Desc, "15 windows from Nov 20 06:00 to Nov 20 20:00") || !got.Labelled {
		t.Errorf("%s: title %q, description %q, labelled by both: %v", s.name, got.Title, got.Desc, got.Labelled)
	}
	if got.Font < 11 || len(got.Overlaps) > 0 {
		t.Errorf("%s: smallest text %.1f px (want at least 11), overlaps %q", s.name, got.Font, got.Overlaps)
	}
}
