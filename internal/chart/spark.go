package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// SparkSVG draws values as a small line scaled to the largest, with a gap
// where a value is NaN (nothing to measure in that part of the range) and
// a dot on the last value measured. label is its text alternative; the
// page sets its size.
func SparkSVG(label string, values []float64) string {
	const w, h, pad = 100.0, 24.0, 2.0
	top := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			top = math.Max(top, v)
		}
	}
	if top <= 0 {
		top = 1
	}
	step := w - 2*pad
	if len(values) > 1 {
		step /= float64(len(values) - 1)
	}
	at := func(i int, v float64) (float64, float64) {
		return pad + float64(i)*step, h - pad - v/top*(h-2*pad)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" class="spark" role="img" aria-label="%s"><title>%s</title>`,
		w, h, html.EscapeString(label), html.EscapeString(label))
	var run []string
	flush := func() {
		if len(run) > 1 {
			fmt.Fprintf(&s, `<polyline points="%s" fill="none" stroke="#0969da" stroke-width="1.5"/>`, strings.Join(run, " "))
		}
		run = run[:0]
	}
	last := -1
	for i, v := range values {
		if math.IsNaN(v) {
			flush()
			continue
		}
		x, y := at(i, v)
		run = append(run, fmt.Sprintf("%.1f,%.1f", x, y))
		last = i
	}
	flush()
	if last >= 0 {
		x, y := at(last, values[last])
		fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="2" fill="#0969da"/>`, x, y)
	}
	s.WriteString(`</svg>`)
	return s.String()
}
