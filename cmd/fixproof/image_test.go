package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// imageTags are the build tags of the Dockerfile's go build
// (internal/release checks that the Dockerfile uses them).
const imageTags = "nodemo"

// buildAsTheImage builds the binary as the Dockerfile does (static,
// -trimpath, version stamped) with the given tags, stripped or not: go
// tool nm needs the symbol table that -s -w drop. -race=false overrides a
// GOFLAGS=-race (as in the GitHub workflow): the race detector needs cgo,
// and the image is built without either.
func buildAsTheImage(tb testing.TB, tags, version string, strip bool) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "fixproof")
	if out, err := imageBuild(tags, version, strip, bin).CombinedOutput(); err != nil {
		tb.Fatalf("go build -tags %q: %v\n%s", tags, err, out)
	}
	return bin
}

// imageBuild is the go build command of buildAsTheImage, writing bin.
func imageBuild(tags, version string, strip bool, bin string) *exec.Cmd {
	ldflags := "-X main.version=" + version
	if strip {
		ldflags = "-s -w " + ldflags
	}
	build := exec.Command("go", "build", "-race=false", "-trimpath", "-tags", tags, "-ldflags", ldflags, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	return build
}

// symbolsOf lists the binary's symbols whose names contain any of the
// given package paths.
func symbolsOf(t *testing.T, bin string, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm %s: %v", bin, err)
	}
	var found []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, p := range pkgs {
			if strings.Contains(line, p) {
				found = append(found, strings.TrimSpace(line))
				break
			}
		}
	}
	return found
}

// The simulators, and the demo that plays them, are what -tags nodemo
// leaves out of the image.
var demoPackages = []string{"github.com/fixproof/fixproof/internal/sim", "github.com/fixproof/fixproof/internal/demo."}

func TestTheImageBuildCarriesNoSimulator(t *testing.T) {
	if syms := symbolsOf(t, imageBinary(t), demoPackages...); len(syms) > 0 {
		t.Errorf("built with -tags %s, the binary has %d symbols of the simulators or the demo, want none; the first: %s",
			imageTags, len(syms), strings.Join(syms[:min(5, len(syms))], "; "))
	}
	// Without the tag they are there: the check above can see them.
	if syms := symbolsOf(t, testBinary(t), demoPackages...); len(syms) == 0 {
		t.Errorf("built without tags, the binary has no symbol of %v: go run ./cmd/fixproof demo needs them, and the check above would pass on anything", demoPackages)
	}
}

func TestTheImageBuildSaysItHasNoDemo(t *testing.T) {
	bin := imageBinary(t)
	run := func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			return exit.ExitCode(), stdout.String(), stderr.String()
		case err != nil:
			t.Fatal(err)
		}
		return 0, stdout.String(), stderr.String()
	}
	howTo := []string{
		"fixproof: demo: this build of fixproof has no demo",
		"go run ./cmd/fixproof demo",
		"go run github.com/fixproof/fixproof/cmd/fixproof@v1.4.0 demo",
	}

	code, stdout, stderr := run("demo")
	if code != exitFailed {
		t.Errorf("fixproof demo: exit %d, want %d (a failure)", code, exitFailed)
	}
	if stdout != "" {
		t.Errorf("fixproof demo printed %q on stdout, want nothing", stdout)
	}
	for _, want := range howTo {
		if !strings.Contains(stderr, want) {
			t.Errorf("fixproof demo: stderr lacks %q:\n%s", want, stderr)
		}
	}

	// Help is still help, and says the same; a wrong command line is
	// still one.
	code, stdout, _ = run("demo", "--help")
	if code != exitOK || !strings.Contains(stdout, "Usage:\n  fixproof demo") || !strings.Contains(stdout, "has no demo") {
		t.Errorf("fixproof demo --help: exit %d, want 0 with the usage and that this build has no demo:\n%s", code, stdout)
	}
	if code, _, stderr = run("demo", "-storm", "0"); code != exitUsage {
		t.Errorf("fixproof demo -storm 0: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
}
