package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Bar is one window of an SVG chart.
type Bar struct {
	// Label names the window in full, for its tooltip and the chart's
	// description: "Nov 20 06:00".
	Label string
	// Tick is what the x axis shows under the bar, "06:00"; Day, when
	// not empty, is shown under the first tick and under every tick
	// whose Day differs from the previous tick's: "Nov 20".
	Tick, Day string
	Value     float64 // events in the window
	After     bool    // the window starts after the merge
	// Deployed: the window starts after the fix reached production.
	Deployed bool
}

// Chart is a bar chart of events per window with the limit as a line, and
// the merge and the deploy as vertical lines.
type Chart struct {
	// ID is unique on the page: the ids of the title and the description
	// start with it.
	ID    string
	Title string
	// Unit is what a bar counts, for the y axis: "events per hour".
	Unit string
	// XTitle names the x axis: "hour starting, UTC".
	XTitle string
	Bars   []Bar
	Limit  float64
	// NoLimit leaves the threshold out: for a threshold in another unit
	// than the bars' (per 1,000 sessions, while the bars count events),
	// where a line at Limit would mislead.
	NoLimit bool
}

// limit is the threshold the chart draws, 0 when it draws none.
func (c Chart) limit() float64 {
	if c.NoLimit {
		return 0
	}
	return c.Limit
}

// quietIn reports whether a bar is after the fix and under a threshold
// the chart draws.
func (c Chart) quietIn(b Bar) bool { return !c.NoLimit && quiet(b, c.Limit) }

// Layout is the size a chart is drawn for: its width in the units of its
// viewBox, which the page maps to CSS pixels one to one at the width the
// layout is meant for, so Font is then the text's size in pixels.
type Layout struct {
	Name  string // the SVG's class: "wide" or "narrow"
	Width float64
	Plot  float64 // the plot's height
	Font  float64
}

var (
	// Wide is for a desktop's page (640 wide, shown up to 720 px).
	Wide = Layout{Name: "wide", Width: 640, Plot: 180, Font: 12}
	// Narrow is for a phone's (340 wide: a 390 px screen less the
	// page's margins), where Wide's text would shrink to 7 px.
	Narrow = Layout{Name: "narrow", Width: 340, Plot: 160, Font: 12}
)

// Colours of the chart, named for what they show.
const (
	colourErrors  = "#cf222e"
	colourQuiet   = "#1a7f37"
	colourLimit   = "#9a6700"
	colourMerge   = "#8250df"
	colourDeploy  = "#0969da"
	colourGrid    = "#d0d7de"
	colourAxis    = "#57606a"
	colourText    = "#1f2328"
	legendQuiet   = "after the fix, under the threshold"
	legendErrors  = "events"
	markerMerge   = "fix merged"
	markerDeploys = "deployed"
)

// geometry is where a chart's parts go, all in viewBox units.
type geometry struct {
	l                     Layout
	left, right, plotTop  float64
	legend                []legendItem
	bandRows              int
	plotBottom, height    float64
	ticks                 []float64
	step                  float64 // a bar's slot
	every                 int     // x labels on every n-th bar
	xTitleY, labelY, dayY float64
}

// textWidth estimates how wide text is at font size f: system fonts
// average about 0.6 em a character (digits and lower case).
func textWidth(s string, f float64) float64 {
	return float64(len([]rune(s))) * f * 0.62
}

// SVG draws c for layout l: an inline image that needs no script, font or
// other asset, with a legend, y ticks with the unit, x labels that never
// overlap, and every label outside the plot so none covers a bar. It has
// a title and a description for screen readers, and every bar a tooltip.
// Text is escaped.
func SVG(c Chart, l Layout) string {
	g := layout(c, l)
	var s strings.Builder
	id := html.EscapeString(c.ID + "-" + l.Name)
	desc := Summary(c)
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" class="chart %s" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui,sans-serif" font-size="%g">`,
		l.Width, g.height, l.Name, id, id, l.Font)
	fmt.Fprintf(&s, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, html.EscapeString(c.Title), id, html.EscapeString(desc))
	g.drawLegend(&s, c)
	g.drawAxes(&s, c)
	g.drawBars(&s, c)
	s.WriteString(`</svg>`)
	return s.String()
}

// layout places the parts of c for l.
func layout(c Chart, l Layout) geometry {
	g := geometry{l: l, right: 8}
	g.ticks = Ticks(peak(c), 4)
	g.left = 8 + l.Font*1.3 + textWidth(num(g.ticks[len(g.ticks)-1]), l.Font) + 6
	g.legend = legendItems(c)
	rows := placeLegend(g.legend, l.Width-16, l.Font)
	line := l.Font * 1.5
	g.bandRows = markerRows(c.Bars)
	// The top tick's label is centred on the plot's top edge, the zero's
	// on its bottom: half a line of room above and below.
	g.plotTop = 6 + float64(rows)*line + float64(g.bandRows)*line + line/2
	g.plotBottom = g.plotTop + l.Plot
	g.labelY = g.plotBottom + line + 2
	g.dayY = g.labelY + line
	g.xTitleY = g.dayY + line
	g.height = g.xTitleY + 6
	if n := len(c.Bars); n > 0 {
		g.step = (l.Width - g.left - g.right) / float64(n)
		g.every = LabelEvery(n, g.step, widestTick(c.Bars, l.Font)+l.Font)
	}
	return g
}

// peak is the highest of the bars and the limit.
func peak(c Chart) float64 {
	top := c.limit()
	for _, b := range c.Bars {
		top = math.Max(top, b.Value)
	}
	return top
}

func widestTick(bars []Bar, f float64) float64 {
	w := 0.0
	for _, b := range bars {
		w = math.Max(w, math.Max(textWidth(b.Tick, f), textWidth(b.Day, f)))
	}
	return w
}

// markerRows is how many rows the merge and deploy labels need above
// the plot: one each, so the two never overlap.
func markerRows(bars []Bar) int {
	rows := 0
	for _, has := range []func(Bar) bool{func(b Bar) bool { return b.After }, func(b Bar) bool { return b.Deployed }} {
		for _, b := range bars {
			if has(b) {
				rows++
				break
			}
		}
	}
	return rows
}

// Ticks are the y axis's ticks from 0 to at least top, on a step of 1,
// 2 or 5 times a power of ten (never below 1: counts are whole), at most
// max+1 of them.
func Ticks(top float64, max int) []float64 {
	if top <= 0 || math.IsNaN(top) || math.IsInf(top, 0) {
		top = 1
	}
	step := 1.0
	for mag := 1.0; ; mag *= 10 {
		found := false
		for _, m := range []float64{1, 2, 5} {
			if math.Ceil(top/(m*mag)) <= float64(max) {
				step, found = m*mag, true
				break
			}
		}
		if found {
			break
		}
	}
	n := int(math.Ceil(top / step))
	out := make([]float64, n+1)
	for i := range out {
		out[i] = float64(i) * step
	}
	return out
}

// LabelEvery is how many bars apart the x labels go so that labels of
// width w (with their gap) never overlap, bars being step apart.
func LabelEvery(n int, step, w float64) int {
	if n == 0 || step <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(w/step)))
}

// legendItem is one entry of the legend and where it goes.
type legendItem struct {
	kind, text string
	x, row     float64
}

// legendItems are the entries c needs: the bars' two colours (the second
// only when some bar has it), the threshold, and the merge and deploy
// lines when they are drawn.
func legendItems(c Chart) []legendItem {
	items := []legendItem{{kind: "errors", text: legendErrors}}
	hasAfter, hasQuiet, hasDeploy := false, false, false
	for _, b := range c.Bars {
		hasAfter = hasAfter || b.After
		hasQuiet = hasQuiet || c.quietIn(b)
		hasDeploy = hasDeploy || b.Deployed
	}
	if hasQuiet {
		items = append(items, legendItem{kind: "quiet", text: legendQuiet})
	}
	if !c.NoLimit {
		items = append(items, legendItem{kind: "threshold", text: "threshold " + num(c.Limit)})
	}
	if hasAfter {
		items = append(items, legendItem{kind: "merge", text: markerMerge})
	}
	if hasDeploy {
		items = append(items, legendItem{kind: "deploy", text: markerDeploys})
	}
	return items
}

// quiet is a bar after the fix under the threshold, drawn green.
func quiet(b Bar, limit float64) bool { return b.After && b.Value < limit }

// swatch is how wide a legend entry's key is, with its gap to the text.
func swatch(f float64) float64 { return f * 1.6 }

// placeLegend flows the items into rows of width w, in place, and says
// how many rows they take.
func placeLegend(items []legendItem, w, f float64) int {
	x, row := 0.0, 0.0
	for i := range items {
		iw := swatch(f) + textWidth(items[i].text, f)
		if x > 0 && x+iw > w {
			x, row = 0, row+1
		}
		items[i].x, items[i].row = x, row
		x += iw + f
	}
	return int(row) + 1
}

func (g geometry) drawLegend(s *strings.Builder, c Chart) {
	f := g.l.Font
	s.WriteString(`<g class="legend">`)
	for _, it := range g.legend {
		x, y := 8+it.x, 6+it.row*f*1.5+f
		fmt.Fprintf(s, `<g class="legend-item" data-kind="%s">`, it.kind)
		switch it.kind {
		case "errors", "quiet":
			colour := map[string]string{"errors": colourErrors, "quiet": colourQuiet}[it.kind]
			fmt.Fprintf(s, `<rect x="%g" y="%.1f" width="%g" height="%g" fill="%s"/>`, x, y-f*0.8, f, f*0.8, colour)
		case "threshold":
			fmt.Fprintf(s, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="4 3"/>`, x, y-f*0.35, x+f, y-f*0.35, colourLimit)
		default:
			colour := map[string]string{"merge": colourMerge, "deploy": colourDeploy}[it.kind]
			fmt.Fprintf(s, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2"/>`, x+f/2, y-f, x+f/2, y+f*0.1, colour)
		}
		fmt.Fprintf(s, `<text x="%g" y="%.1f" fill="%s">%s</text></g>`, x+swatch(f), y, colourText, html.EscapeString(it.text))
	}
	s.WriteString(`</g>`)
}

// y is where value v sits on the axis.
func (g geometry) y(v float64) float64 {
	top := g.ticks[len(g.ticks)-1]
	return g.plotBottom - v/top*(g.plotBottom-g.plotTop)
}

func (g geometry) drawAxes(s *strings.Builder, c Chart) {
	f := g.l.Font
	fmt.Fprintf(s, `<rect class="plot" x="%g" y="%.1f" width="%g" height="%g" fill="none"/>`, g.left, g.plotTop, g.l.Width-g.left-g.right, g.l.Plot)
	s.WriteString(`<g class="y-axis">`)
	for _, t := range g.ticks {
		y := g.y(t)
		fmt.Fprintf(s, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s"/>`, g.left, y, g.l.Width-g.right, y, colourGrid)
		fmt.Fprintf(s, `<text class="tick" x="%g" y="%.1f" text-anchor="end" fill="%s">%s</text>`, g.left-4, y+f*0.35, colourAxis, num(t))
	}
	cx, cy := 8+f, (g.plotTop+g.plotBottom)/2
	fmt.Fprintf(s, `<text class="unit" x="%g" y="%.1f" text-anchor="middle" transform="rotate(-90 %g %.1f)" fill="%s">%s</text>`, cx, cy, cx, cy, colourAxis, html.EscapeString(c.Unit))
	s.WriteString(`</g>`)
	fmt.Fprintf(s, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s"/>`, g.left, g.plotBottom, g.l.Width-g.right, g.plotBottom, colourAxis)
	if c.XTitle != "" {
		fmt.Fprintf(s, `<text class="x-title" x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, (g.left+g.l.Width-g.right)/2, g.xTitleY, colourAxis, html.EscapeString(c.XTitle))
	}
}

func (g geometry) drawBars(s *strings.Builder, c Chart) {
	merged, deployed := false, false
	lastDay := ""
	for i, b := range c.Bars {
		x := g.left + float64(i)*g.step
		if b.After && !merged {
			merged = true
			g.marker(s, "merge", markerMerge, colourMerge, x, 0)
		}
		if b.Deployed && !deployed {
			deployed = true
			g.marker(s, "deploy", markerDeploys, colourDeploy, x, g.bandRows-1)
		}
		colour := colourErrors
		if c.quietIn(b) {
			colour = colourQuiet
		}
		fmt.Fprintf(s, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s %s</title></rect>`,
			x+g.step*0.15, g.y(b.Value), g.step*0.7, g.plotBottom-g.y(b.Value), colour, html.EscapeString(b.Label), num(b.Value), html.EscapeString(c.Unit))
		if i%g.every != 0 {
			continue
		}
		cx := x + g.step/2
		fmt.Fprintf(s, `<text class="x-label" x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, cx, g.labelY, colourAxis, html.EscapeString(b.Tick))
		if b.Day != "" && b.Day != lastDay {
			fmt.Fprintf(s, `<text class="x-label day" x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, cx, g.dayY, colourAxis, html.EscapeString(b.Day))
			lastDay = b.Day
		}
	}
	if len(c.Bars) > 0 && !c.NoLimit {
		y := g.y(c.Limit)
		fmt.Fprintf(s, `<line class="threshold" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`, g.left, y, g.l.Width-g.right, y, colourLimit)
	}
}

// marker draws a vertical line at x through the plot, labelled in its own
// row of the band above the plot; the label turns left of the line when
// it would run past the chart's edge.
func (g geometry) marker(s *strings.Builder, class, text, colour string, x float64, row int) {
	f := g.l.Font
	band := g.plotTop - f*0.75 - float64(g.bandRows)*f*1.5
	y := band + float64(row)*f*1.5 + f
	fmt.Fprintf(s, `<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, class, x, y-f, x, g.plotBottom, colour)
	anchor, tx := "start", x+3
	if tx+textWidth(text, f) > g.l.Width-g.right {
		anchor, tx = "end", x-3
	}
	fmt.Fprintf(s, `<text class="marker" x="%.1f" y="%.1f" text-anchor="%s" fill="%s">%s</text>`, tx, y, anchor, colour, html.EscapeString(text))
}

// Summary describes c in words, as its text alternative: the span of
// windows, the highest, the threshold and where the fix merged and
// deployed.
func Summary(c Chart) string {
	threshold := "the threshold is " + num(c.Limit)
	if c.NoLimit {
		threshold = "the threshold is in another unit and not drawn"
	}
	if len(c.Bars) == 0 {
		if c.NoLimit {
			return "No windows to show."
		}
		return fmt.Sprintf("No windows to show; %s %s.", threshold, c.Unit)
	}
	first, last := c.Bars[0], c.Bars[len(c.Bars)-1]
	top := c.Bars[0]
	for _, b := range c.Bars {
		if b.Value > top.Value {
			top = b
		}
	}
	parts := []string{fmt.Sprintf("%d windows from %s to %s; the most, %s %s, at %s; %s",
		len(c.Bars), first.Label, last.Label, num(top.Value), c.Unit, top.Label, threshold)}
	for _, m := range []struct {
		what string
		is   func(Bar) bool
	}{{"the fix merged", func(b Bar) bool { return b.After }}, {"it was deployed", func(b Bar) bool { return b.Deployed }}} {
		for _, b := range c.Bars {
			if m.is(b) {
				parts = append(parts, fmt.Sprintf("%s by %s, after which the window had %s", m.what, b.Label, num(b.Value)))
				break
			}
		}
	}
	return strings.Join(parts, "; ") + "."
}
