package main

import (
	"context"
	"flag"
	"io"

	"github.com/fixproof/fixproof/internal/demo"
)

// runDemo is `fixproof demo`: the whole loop on simulators, narrated.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storm := fs.Int("storm", 300, "alerts in the first error storm")
	serve := fs.Bool("serve", false, "keep the simulators and the dashboard running at the end, until interrupted")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *storm < 1 {
		return errUsage
	}
	_, err := demo.Run(ctx, demo.Options{Out: stdout, Storm: *storm, Serve: *serve})
	return err
}
