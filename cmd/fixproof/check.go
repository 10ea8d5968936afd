package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/preflight"
	"github.com/fixproof/fixproof/internal/retry"
)

var checkHelp = help{
	usage: []string{"fixproof bot check [--config FILE]"},
	about: `Checks the bot's configuration as the bot loads it (the file, then the
FIXPROOF_* variables), then tries each service it names with its
credentials, as the bot does once at start: Jira (who the account is, and
whether it may create the configured issue types in the configured
projects with the fields the bot sets), Sentry (the organization, and the
installation when set), Guance (the workspace and channels) and the
webhook secrets. One line per check: ok, warn, FAIL or skip, the service,
and what was found or what to fix. Nothing is written anywhere.`,
	more: `Exit status: 0 when no check failed (warnings pass), 1 when one did or the
config has problems (then the services are not tried), 2 for a wrong
command line.`,
	example: `  fixproof bot check --config /etc/fixproof/fixproof.yml
  FIXPROOF_JIRA_API_TOKEN="$JIRA_TOKEN" fixproof bot check --config fixproof.yml`,
}

// runCheck is `fixproof bot check`.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bot check")
	path := fs.String("config", getenv("FIXPROOF_CONFIG"), "the bot's config `FILE` (FIXPROOF_* variables override it)")
	if err := parseFlags(fs, checkHelp, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badUsage("bot check", checkHelp.usage[0], "unexpected argument %q", fs.Arg(0))
	}
	cfg, problems, err := botConfig("bot check", checkHelp.usage[0], *path, getenv)
	if err != nil {
		return err
	}
	source := *path
	if source == "" {
		source = "the FIXPROOF_* variables"
	}
	if len(problems) > 0 {
		for _, p := range problems {
			printCheck(stdout, preflight.Result{Service: "config", Status: preflight.Fail, Msg: p.Error()})
		}
		return fmt.Errorf("bot check: %s: %d %s; the services were not tried", source, len(problems), plural(len(problems), "problem"))
	}
	printCheck(stdout, preflight.Result{Service: "config", Status: preflight.OK, Msg: source + " is a valid config"})
	results, err := checkServices(ctx, cfg)
	if err != nil {
		return err
	}
	for _, r := range results {
		printCheck(stdout, r)
	}
	if n := preflight.Failed(results); n > 0 {
		return fmt.Errorf("bot check: %d of %d checks failed", n, len(results))
	}
	return nil
}

// checkTimeout bounds each request of the checks, its retries included.
const checkTimeout = 20 * time.Second

// checkServices tries the services cfg names, retrying briefly: a check
// is asked for by someone waiting for its answer.
func checkServices(ctx context.Context, cfg botconfig.Config) ([]preflight.Result, error) {
	httpc := clients.HTTP(clients.HTTPOptions{Timeout: checkTimeout,
		Policy: retry.Policy{Attempts: 2, Base: time.Second, Max: 2 * time.Second, MaxWait: 5 * time.Second}})
	c, err := newBotClients(cfg, httpc, nil)
	if err != nil {
		return nil, err
	}
	return preflight.Run(ctx, cfg, c.services()), nil
}

// printCheck writes one check a line: its status, its service and what it
// found.
func printCheck(w io.Writer, r preflight.Result) {
	fmt.Fprintf(w, "%-4s  %-8s  %s\n", r.Status, r.Service, r.Msg)
}
