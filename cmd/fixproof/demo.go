package main

import (
	"io"
)

var demoHelp = help{
	usage: []string{"fixproof demo [-storm N] [-serve]"},
	about: `Plays the whole loop on simulated GitHub, Jira, Sentry and Guance, in this
process, with no accounts and no network: alert storms become one Jira
issue each, pull requests move them, and the sweep verifies the fixes
against the error rates. It narrates as it goes and ends with a table;
while a storm is sent it shows how far it has got (a counter rewritten in
place on a terminal, a line every 3 seconds otherwise). It stops on Ctrl-C
or SIGTERM, and when the process that started it exits, such as a
'go run' that was stopped.`,
	example: `  # The story with its 300-alert storm, then a table of what happened:
  fixproof demo
  # A small storm, then keep the dashboard up until Ctrl-C:
  fixproof demo -storm 50 -serve`,
}

// demoOptions are the command line of `fixproof demo`.
type demoOptions struct {
	storm int
	serve bool
}

// parseDemo parses the command line of `fixproof demo`, printing h on
// request. Builds with and without the demo share it, so the image answers
// --help and a wrong command line as `go run ./cmd/fixproof` does.
func parseDemo(h help, args []string, stdout io.Writer) (demoOptions, error) {
	fs := newFlagSet("demo")
	storm := fs.Int("storm", 300, "`N` alerts in the first error storm, at least 1")
	serve := fs.Bool("serve", false, "keep the simulators and the dashboard running at the end, until interrupted")
	if err := parseFlags(fs, h, args, stdout); err != nil {
		return demoOptions{}, err
	}
	switch {
	case fs.NArg() > 0:
		return demoOptions{}, badUsage("demo", h.usage[0], "takes no arguments, got %q", fs.Arg(0))
	case *storm < 1:
		return demoOptions{}, badUsage("demo", h.usage[0], "-storm must be at least 1, got %d", *storm)
	}
	return demoOptions{storm: *storm, serve: *serve}, nil
}
