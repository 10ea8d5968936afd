package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Bar is one window of an SVG chart.
type Bar struct {
	Label string  // shown under the bar, e.g. "10:00"
	Value float64 // events in the window
	After bool    // the window starts after the merge
	// Deployed: the window starts after the fix reached production.
	Deployed bool
}

// SVG draws bars of events per window, the limit as a dashed line, and the
// merge and the deploy as vertical lines before the first bar after each:
// an inline image
// that needs no script, font or other asset. It scales to its container,
// so it reads on a phone. Labels are escaped.
func SVG(title string, bars []Bar, limit float64) string {
	const (
		w, h             = 640.0, 260.0
		left, right, top = 44.0, 12.0, 28.0
		bottom           = 44.0
	)
	plotW, plotH := w-left-right, h-top-bottom
	peak := limit
	for _, b := range bars {
		peak = math.Max(peak, b.Value)
	}
	if peak <= 0 {
		peak = 1
	}
	peak = math.Ceil(peak * 1.1)
	y := func(v float64) float64 { return top + plotH - v/peak*plotH }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="%s" class="chart">`, w, h, html.EscapeString(title))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&s, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888"/>`, left, top+plotH, w-right, top+plotH)
	fmt.Fprintf(&s, `<text x="%g" y="%g" font-size="11" text-anchor="end">%s</text>`, left-4, top+4, num(peak))
	fmt.Fprintf(&s, `<text x="%g" y="%g" font-size="11" text-anchor="end">0</text>`, left-4, top+plotH)
	if len(bars) > 0 {
		step := plotW / float64(len(bars))
		every := int(math.Ceil(float64(len(bars)) / 8)) // at most 8 labels
		merged, deployed := false, false
		for i, b := range bars {
			x := left + float64(i)*step
			if b.After && !merged {
				merged = true
				marker(&s, "merge", "#6f42c1", x, top-4, top+plotH)
			}
			if b.Deployed && !deployed {
				deployed = true
				marker(&s, "deploy", "#0969da", x, top+10, top+plotH)
			}
			color := "#d73a49" // errors
			if b.After && b.Value < limit {
				color = "#2da44e" // quiet after the fix
			}
			bh := b.Value / peak * plotH
			fmt.Fprintf(&s, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s events</title></rect>`,
				x+step*0.15, y(b.Value), step*0.7, bh, color, html.EscapeString(b.Label), num(b.Value))
			if i%every == 0 {
				fmt.Fprintf(&s, `<text x="%.1f" y="%g" font-size="11" text-anchor="middle">%s</text>`, x+step/2, top+plotH+16, html.EscapeString(b.Label))
			}
		}
	}
	fmt.Fprintf(&s, `<line class="threshold" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#bf8700" stroke-width="2" stroke-dasharray="6 4"/>`, left, y(limit), w-right, y(limit))
	fmt.Fprintf(&s, `<text x="%g" y="%.1f" font-size="11" text-anchor="end" fill="#bf8700">threshold %s</text>`, w-right, y(limit)-4, num(limit))
	s.WriteString(`</svg>`)
	return s.String()
}

// marker draws a labelled vertical line at x from y0 down to y1.
func marker(s *strings.Builder, name, color string, x, y0, y1 float64) {
	fmt.Fprintf(s, `<line class="%s" x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="%s" stroke-width="2"/>`, name, x, y0-12, x, y1, color)
	fmt.Fprintf(s, `<text x="%.1f" y="%g" font-size="11" fill="%s">%s</text>`, x+3, y0, color, name)
}
