package main

import (
	"context"
	"io"

	"github.com/fixproof/fixproof/internal/demo"
)

var demoHelp = help{
	usage: []string{"fixproof demo [-storm N] [-serve]"},
	about: `Plays the whole loop on simulated GitHub, Jira, Sentry and Guance, in this
process, with no accounts and no network: alert storms become one Jira
issue each, pull requests move them, and the sweep verifies the fixes
against the error rates. It narrates as it goes and ends with a table.`,
	example: `  fixproof demo
  fixproof demo -storm 50 -serve   # then open the dashboard it prints`,
}

// runDemo is `fixproof demo`: the whole loop on simulators, narrated.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo")
	storm := fs.Int("storm", 300, "`N` alerts in the first error storm, at least 1")
	serve := fs.Bool("serve", false, "keep the simulators and the dashboard running at the end, until interrupted")
	if err := parseFlags(fs, demoHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return badUsage("demo", demoHelp.usage[0], "takes no arguments, got %q", fs.Arg(0))
	case *storm < 1:
		return badUsage("demo", demoHelp.usage[0], "-storm must be at least 1, got %d", *storm)
	}
	_, err := demo.Run(ctx, demo.Options{Out: stdout, Storm: *storm, Serve: *serve})
	return err
}
