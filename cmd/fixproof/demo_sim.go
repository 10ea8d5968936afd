//go:build !nodemo

package main

import (
	"context"
	"io"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/fixproof/fixproof/internal/demo"
)

// runDemo is `fixproof demo`: the whole loop on simulators, narrated.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDemo(demoHelp, args, stdout)
	if err != nil {
		return err
	}
	_, err = demo.Run(ctx, demo.Options{Out: stdout, Storm: opts.storm, Serve: opts.serve, Terminal: isTerminal(stdout)})
	return err
}

// isTerminal reports whether w is a terminal, where the demo's progress
// can rewrite a line in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
