package demo

import (
	"io"
	"testing"
)

// BenchmarkDemo is the demo's wall time with its default storm, and the
// requests each simulated service served.
func BenchmarkDemo(b *testing.B) {
	var last *Result
	for b.Loop() {
		res, err := Run(b.Context(), Options{Out: io.Discard, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.ReportMetric(float64(last.Requests["jira"]), "jira-req/op")
	b.ReportMetric(float64(last.Requests["sentry"]), "sentry-req/op")
	b.ReportMetric(float64(last.Requests["github"]), "github-req/op")
	b.ReportMetric(float64(last.Requests["guance"]), "guance-req/op")
}
