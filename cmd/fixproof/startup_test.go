package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkVersionStartup execs the static binary, built as the image
// builds it (image: -tags nodemo) and as `go build` does (demo: with the
// demo and its simulators), and waits for `fixproof --version`: a process
// start, the runtime's init and one line out. It reports the binary's size
// too.
func BenchmarkVersionStartup(b *testing.B) {
	for _, build := range []struct{ name, tags string }{{"image", imageTags}, {"demo", ""}} {
		b.Run(build.name, func(b *testing.B) {
			bin := buildAsTheImage(b, build.tags, "bench", true)
			info, err := os.Stat(bin)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				out, err := exec.Command(bin, "--version").Output()
				if err != nil || !strings.HasPrefix(string(out), "fixproof bench") {
					b.Fatalf("%q %v", out, err)
				}
			}
			b.ReportMetric(float64(info.Size())/(1<<20), "MiB-binary")
		})
	}
}
