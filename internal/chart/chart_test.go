package chart

import (
	"strings"
	"testing"
)

func TestSparkline(t *testing.T) {
	tests := []struct {
		in   []float64
		want string
	}{
		{[]float64{0, 1, 2, 4, 8}, "▁▂▃▅█"},
		{[]float64{0, 0, 0}, "▁▁▁"},
		{[]float64{50, 40, 30, 0, 0, 0}, "█▇▆▁▁▁"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := Sparkline(tt.in); got != tt.want {
			t.Errorf("Sparkline(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMermaidIsAnXYChartWithBarsAndTheLimit(t *testing.T) {
	got := Mermaid(`Events per 1h "OPS-1"`, []string{"08:00", "09:00", "10:00"}, []float64{12, 0.5, 0}, 1)
	want := "```mermaid\nxychart-beta\n  title \"Events per 1h OPS-1\"\n  x-axis [\"08:00\", \"09:00\", \"10:00\"]\n  y-axis \"events\" 0 --> 14\n  bar [12, 0.5, 0]\n  line [1, 1, 1]\n```"
	if got != want {
		t.Errorf("Mermaid\n got %q\nwant %q", got, want)
	}
	if strings.Count(got, "```") != 2 {
		t.Error("the block must be fenced exactly once")
	}
}
