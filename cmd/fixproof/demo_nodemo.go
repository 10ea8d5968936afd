//go:build nodemo

// The container image is built with -tags nodemo: the action runs it in
// every user's workflow, and the demo would bring along the four
// simulators of internal/sim, which nothing else in the binary uses.

package main

import (
	"context"
	"errors"
	"io"
	"strings"
)

// runDemo is `fixproof demo` in a build without the demo: it still
// answers --help and checks its command line, then fails saying where the
// demo is.
func runDemo(_ context.Context, args []string, stdout, _ io.Writer) error {
	h := demoHelp
	h.more = noDemo(version)
	if _, err := parseDemo(h, args, stdout); err != nil {
		return err
	}
	return errors.New("demo: " + noDemo(version))
}

// noDemo says that this build has no demo and how to run one, naming the
// release this binary was built from when it was stamped with one.
func noDemo(version string) string {
	ref := "latest"
	if strings.HasPrefix(version, "v") {
		ref = version
	}
	return `this build of fixproof has no demo: it was built with -tags nodemo, as the
container image is, to leave the simulators out. Run the demo with Go
instead, in a checkout of github.com/fixproof/fixproof:
  go run ./cmd/fixproof demo
or anywhere:
  go run github.com/fixproof/fixproof/cmd/fixproof@` + ref + ` demo`
}
