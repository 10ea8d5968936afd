package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkVersionStartup execs the static binary, built as the image
// builds it, and waits for `fixproof --version`: a process start, the
// runtime's init and one line out. It reports the binary's size too.
func BenchmarkVersionStartup(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "fixproof")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=bench", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
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
}
