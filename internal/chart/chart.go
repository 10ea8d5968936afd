// Package chart draws event counts: a one-line text sparkline for logs and
// step summaries, a Mermaid xychart that GitHub renders in comments, and
// an SVG bar chart for the dashboard.
package chart

import (
	"fmt"
	"math"
	"strings"
)

var ticks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values as block characters scaled to the largest.
func Sparkline(values []float64) string {
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		i := 0
		if top > 0 && v > 0 {
			i = int(math.Ceil(v / top * float64(len(ticks)-1)))
		}
		b.WriteRune(ticks[i])
	}
	return b.String()
}

// Mermaid is an xychart-beta block: one bar per window, and the limit as
// a line. Labels and the title are fixproof's own text (window times), not
// user input; quotes are dropped all the same so the block always parses.
func Mermaid(title string, labels []string, values []float64, limit float64) string {
	q := func(s string) string { return `"` + strings.NewReplacer(`"`, "", "\n", " ").Replace(s) + `"` }
	top := limit
	for _, v := range values {
		top = math.Max(top, v)
	}
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(&b, "  title %s\n", q(title))
	qs := make([]string, len(labels))
	for i, l := range labels {
		qs[i] = q(l)
	}
	fmt.Fprintf(&b, "  x-axis [%s]\n", strings.Join(qs, ", "))
	fmt.Fprintf(&b, "  y-axis \"events\" 0 --> %s\n", num(math.Ceil(top*1.1+0.5)))
	nums := make([]string, len(values))
	limits := make([]string, len(values))
	for i, v := range values {
		nums[i], limits[i] = num(v), num(limit)
	}
	fmt.Fprintf(&b, "  bar [%s]\n", strings.Join(nums, ", "))
	fmt.Fprintf(&b, "  line [%s]\n", strings.Join(limits, ", "))
	b.WriteString("```")
	return b.String()
}

func num(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
