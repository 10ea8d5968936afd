package chart

import (
	"encoding/xml"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestTicks(t *testing.T) {
	tests := []struct {
		top  float64
		max  int
		want []float64
	}{
		{0, 4, []float64{0, 1}},
		{1, 4, []float64{0, 1}},
		{3, 4, []float64{0, 1, 2, 3}},
		{7, 4, []float64{0, 2, 4, 6, 8}},
		{60, 4, []float64{0, 20, 40, 60}},
		{61, 4, []float64{0, 20, 40, 60, 80}},
		{240, 4, []float64{0, 100, 200, 300}},
		{0.4, 4, []float64{0, 1}},
		{1234, 5, []float64{0, 500, 1000, 1500}},
		{math.NaN(), 4, []float64{0, 1}},
	}
	for _, tt := range tests {
		if got := Ticks(tt.top, tt.max); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Ticks(%g, %d) = %v, want %v", tt.top, tt.max, got, tt.want)
		}
	}
}

func TestLabelEvery(t *testing.T) {
	tests := []struct {
		n       int
		step, w float64
		want    int
	}{
		{15, 40, 36, 1},
		{15, 20, 36, 2},
		{48, 6, 50, 9},
		{0, 0, 50, 1},
		{1, 300, 50, 1},
	}
	for _, tt := range tests {
		if got := LabelEvery(tt.n, tt.step, tt.w); got != tt.want {
			t.Errorf("LabelEvery(%d, %g, %g) = %d, want %d", tt.n, tt.step, tt.w, got, tt.want)
		}
	}
}

// element is an SVG element as the tests read it.
type element struct {
	name  string
	attrs map[string]string
	text  string
	class string
}

// parse reads every element of a well-formed SVG document.
func parse(t *testing.T, svg string) []element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var out []element
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			e.class = e.attrs["class"]
			out = append(out, e)
		case xml.CharData:
			if len(out) > 0 {
				out[len(out)-1].text += string(tok)
			}
		}
	}
}

func num64(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

// box is a rectangle: x0 <= x1, y0 <= y1.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// textBox is where a text element's glyphs can reach, by textWidth.
func textBox(e element, f float64) box {
	x, y, w := num64(e.attrs["x"]), num64(e.attrs["y"]), textWidth(e.text, f)
	if strings.HasPrefix(e.attrs["transform"], "rotate(-90") {
		return box{x - f, y - w/2, x + 0.3*f, y + w/2}
	}
	switch e.attrs["text-anchor"] {
	case "end":
		x -= w
	case "middle":
		x -= w / 2
	}
	return box{x, y - f, x + w, y + 0.3*f}
}

func demoBars(n int) []Bar {
	bars := make([]Bar, n)
	for i := range bars {
		h := 6 + i
		bars[i] = Bar{Label: "Nov 20 " + strconv.Itoa(h) + ":00", Tick: strconv.Itoa(h%24) + ":00", Day: "Nov " + strconv.Itoa(20+h/24),
			Value: float64(240 - 15*i%240), After: i >= 4, Deployed: i >= 8}
	}
	return bars
}

// Every text of the chart is inside the chart, outside the plot (so no
// label covers a bar or the threshold), and no two texts overlap, at
// both layouts and any number of bars.
func TestLabelsNeverOverlapBarsOrEachOther(t *testing.T) {
	for _, l := range []Layout{Wide, Narrow} {
		for _, n := range []int{1, 3, 15, 24, 48, 100} {
			c := Chart{ID: "c", Title: "Sentry issue 102", Unit: "events per hour", XTitle: "hour starting, UTC", Bars: demoBars(n), Limit: 1}
			els := parse(t, SVG(c, l))
			var plot box
			var vb []float64
			for _, e := range els {
				if e.class == "plot" {
					x, y := num64(e.attrs["x"]), num64(e.attrs["y"])
					plot = box{x, y, x + num64(e.attrs["width"]), y + num64(e.attrs["height"])}
				}
				if e.name == "svg" {
					for _, f := range strings.Fields(e.attrs["viewBox"]) {
						vb = append(vb, num64(f))
					}
				}
			}
			var texts []box
			for _, e := range els {
				if e.name != "text" {
					continue
				}
				b := textBox(e, l.Font)
				if b.overlaps(plot) {
					t.Errorf("%s, %d bars: %q at %+v overlaps the plot %+v", l.Name, n, e.text, b, plot)
				}
				if b.x0 < 0 || b.y0 < 0 || b.x1 > vb[2] || b.y1 > vb[3] {
					t.Errorf("%s, %d bars: %q at %+v runs out of the chart %v", l.Name, n, e.text, b, vb)
				}
				for _, o := range texts {
					if b.overlaps(o) {
						t.Errorf("%s, %d bars: %q at %+v overlaps another text at %+v", l.Name, n, e.text, b, o)
					}
				}
				texts = append(texts, b)
			}
		}
	}
}

func TestSVG(t *testing.T) {
	bars := []Bar{{Label: "09:00", Tick: "09:00", Value: 30}, {Label: "10:00", Tick: "10:00", Value: 24}, {Label: "11:00", Tick: "11:00", Value: 0, After: true}, {Label: "12:00", Tick: "12:00", Value: 5, After: true}}
	tests := []struct {
		name   string
		chart  Chart
		want   []string
		count  map[string]int
		legend []string
	}{
		{"bars, merge, threshold, ticks and unit", Chart{ID: "a", Title: "OPS-1", Unit: "events per hour", Bars: bars, Limit: 1},
			[]string{`class="merge"`, `class="threshold"`, "11:00: 0 events per hour", `fill="#1a7f37"`, `>events per hour</text>`,
				`aria-labelledby="a-wide-title a-wide-desc"`, `<title id="a-wide-title">OPS-1</title>`, `<desc id="a-wide-desc">4 windows from 09:00 to 12:00; the most, 30 events per hour, at 09:00; the threshold is 1; the fix merged by 11:00`},
			map[string]int{`class="bar"`: 4, `class="merge"`: 1, `class="deploy"`: 0, `fill="#cf222e"`: 4, `class="tick"`: 4},
			[]string{"events", "after the fix, under the threshold", "threshold 1", "fix merged"}},
		{"the deploy is marked at its first window", Chart{ID: "b", Unit: "events per hour", Limit: 1,
			Bars: []Bar{{Label: "09:00", Value: 30}, {Label: "11:00", Value: 30, After: true}, {Label: "14:00", Value: 0, After: true, Deployed: true}, {Label: "15:00", Value: 0, After: true, Deployed: true}}},
			[]string{`class="merge"`, `class="deploy"`, ">deployed</text>", "it was deployed by 14:00, after which the window had 0"},
			map[string]int{`class="merge"`: 1, `class="deploy"`: 1, `class="bar"`: 4},
			[]string{"events", "after the fix, under the threshold", "threshold 1", "fix merged", "deployed"}},
		{"no green bar, no green in the legend", Chart{ID: "d", Unit: "events per hour", Limit: 1,
			Bars: []Bar{{Label: "09:00", Value: 30}, {Label: "11:00", Value: 30, After: true}}},
			[]string{`class="merge"`}, map[string]int{`fill="#1a7f37"`: 0},
			[]string{"events", "threshold 1", "fix merged"}},
		{"a threshold in another unit is not drawn", Chart{ID: "e", Unit: "events per hour", Bars: bars, Limit: 1, NoLimit: true},
			[]string{"the threshold is in another unit and not drawn"},
			map[string]int{`class="threshold"`: 0, `fill="#1a7f37"`: 0, `class="bar"`: 4},
			[]string{"events", "fix merged"}},
		{"no bars", Chart{ID: "c", Title: "empty", Limit: 2}, []string{"No windows to show"}, map[string]int{`class="bar"`: 0, `class="merge"`: 0, `class="deploy"`: 0},
			[]string{"events", "threshold 2"}},
		{"text is escaped", Chart{ID: `"x`, Title: `<script>x</script>`, Unit: "<i>", Bars: []Bar{{Label: `<b>`, Tick: "<u>", Value: 1}}, Limit: 1},
			[]string{"&lt;script&gt;", "&lt;b&gt;", "&lt;u&gt;", "&lt;i&gt;", `&#34;x-wide-title`}, map[string]int{"<script>": 0, "<b>": 0, "<u>": 0, "<i>": 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SVG(tt.chart, Wide)
			els := parse(t, got)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for w, n := range tt.count {
				if c := strings.Count(got, w); c != n {
					t.Errorf("%q appears %d times, want %d", w, c, n)
				}
			}
			if tt.legend == nil {
				return
			}
			var legend []string
			for i, e := range els {
				if e.class == "legend-item" {
					for _, in := range els[i+1:] {
						if in.name == "text" {
							legend = append(legend, in.text)
							break
						}
					}
				}
			}
			if !reflect.DeepEqual(legend, tt.legend) {
				t.Errorf("legend %q, want %q", legend, tt.legend)
			}
		})
	}
}

// The narrow layout keeps the text at its size in pixels on a phone: its
// viewBox is as wide as the phone's page.
func TestNarrowLayoutIsAsWideAsAPhonesPage(t *testing.T) {
	svg := SVG(Chart{ID: "n", Unit: "events per hour", Bars: demoBars(15), Limit: 1}, Narrow)
	if !strings.Contains(svg, `viewBox="0 0 340 `) || !strings.Contains(svg, `font-size="12"`) || !strings.Contains(svg, `class="chart narrow"`) {
		t.Errorf("narrow chart: %s", svg[:300])
	}
}

func TestSparkSVGLeavesGapsAndMarksTheLastValue(t *testing.T) {
	got := SparkSVG("median hours to merge: 2, none, 4, 3", []float64{2, math.NaN(), 4, 3})
	els := parse(t, got)
	lines, dots := 0, 0
	for _, e := range els {
		switch e.name {
		case "polyline":
			lines++
			if n := len(strings.Fields(e.attrs["points"])); n != 2 {
				t.Errorf("a line of %d points, want 2 (4 and 3)", n)
			}
		case "circle":
			dots++
			if e.attrs["cx"] != "98.0" {
				t.Errorf("the dot is at %s, want the last value's 98.0", e.attrs["cx"])
			}
		}
	}
	if lines != 1 || dots != 1 || !strings.Contains(got, `aria-label="median hours to merge: 2, none, 4, 3"`) {
		t.Errorf("%d lines, %d dots:\n%s", lines, dots, got)
	}
	if got := SparkSVG("none", []float64{math.NaN(), math.NaN()}); strings.Contains(got, "<polyline") || strings.Contains(got, "<circle") {
		t.Errorf("no values drew something: %s", got)
	}
}
