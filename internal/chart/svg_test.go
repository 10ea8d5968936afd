package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestSVG(t *testing.T) {
	bars := []Bar{{Label: "09:00", Value: 30}, {Label: "10:00", Value: 24}, {Label: "11:00", Value: 0, After: true}, {Label: "12:00", Value: 5, After: true}}
	tests := []struct {
		name  string
		title string
		bars  []Bar
		limit float64
		want  []string
		count map[string]int
	}{
		{"bars, merge and threshold", "OPS-1", bars, 1,
			[]string{`class="merge"`, `class="threshold"`, "threshold 1", "11:00: 0 events", `fill="#2da44e"`},
			map[string]int{`class="bar"`: 4, `class="merge"`: 1, `class="deploy"`: 0, `fill="#d73a49"`: 3}},
		{"the deploy is marked at its first window", "OPS-1",
			[]Bar{{Label: "09:00", Value: 30}, {Label: "11:00", Value: 30, After: true}, {Label: "14:00", Value: 0, After: true, Deployed: true}, {Label: "15:00", Value: 0, After: true, Deployed: true}}, 1,
			[]string{`class="merge"`, `class="deploy"`, ">deploy</text>"},
			map[string]int{`class="merge"`: 1, `class="deploy"`: 1, `class="bar"`: 4}},
		{"no bars still draws the threshold", "empty", nil, 2, []string{`class="threshold"`}, map[string]int{`class="bar"`: 0, `class="merge"`: 0, `class="deploy"`: 0}},
		{"labels are escaped", `<script>x</script>`, []Bar{{Label: `<b>`, Value: 1}}, 1, []string{"&lt;script&gt;", "&lt;b&gt;"}, map[string]int{"<script>": 0, "<b>": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SVG(tt.title, tt.bars, tt.limit)
			dec := xml.NewDecoder(strings.NewReader(got))
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v\n%s", err, got)
				}
			}
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
		})
	}
}
