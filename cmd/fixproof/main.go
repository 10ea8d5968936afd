// Command fixproof closes the loop from a production error to a verified
// fix. `fixproof action` is the GitHub Action; `fixproof bot` the
// companion bot; `fixproof keys` shows which Jira keys it would find,
// offline; `fixproof demo` plays the whole loop on simulators (builds with
// -tags nodemo, such as the container image, leave it out). Every command
// explains itself with --help; the exit status is 0 for success (and
// help), 1 for a failure and 2 for a wrong command line.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/uniq"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := stopOnSignal()
	code := cli(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stopOnSignal returns a context that the first SIGINT or SIGTERM ends,
// asking the command to stop; the next one ends the process as by
// default, however long the stopping takes.
func stopOnSignal() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-sigs:
			// Back to the default before anyone hears of the first, so
			// that no second signal falls between the two.
			signal.Stop(sigs)
			cancel(fmt.Errorf("%v signal received", sig))
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel(context.Canceled)
	}
}

// cli is the process: run, then the exit status, with what went wrong on
// stderr.
func cli(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return exitStatus(run(ctx, args, getenv, stdin, stdout, stderr), stderr)
}

// proc is what a command gets from the process.
type proc struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one of fixproof's commands.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, p proc) error
}

// commands are fixproof's commands, in the order help lists them (set in
// init: help looks commands up).
var commands []command

func init() {
	commands = []command{
		{"action", "run as the GitHub Action (reads INPUT_* and GITHUB_* variables)", runAction},
		{"bot", "run the companion bot: webhooks in, one Jira issue per problem out", func(ctx context.Context, args []string, p proc) error {
			return runBot(ctx, args, p.getenv, p.stdout, p.stderr)
		}},
		{"demo", "play the whole loop against simulated GitHub, Jira and Sentry (no accounts, no network)", func(ctx context.Context, args []string, p proc) error {
			return runDemo(ctx, args, p.stdout, p.stderr)
		}},
		{"keys", "print the Jira keys fixproof finds in text, a branch, a PR body or an event, offline", func(_ context.Context, args []string, p proc) error {
			return keys(args, p.stdin, p.stdout)
		}},
		{"version", "print the version", func(_ context.Context, args []string, p proc) error {
			return printVersion(args, p.stdout)
		}},
		{"help", "show a command's usage, flags and examples: fixproof help COMMAND", runHelp},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage is `fixproof --help`.
func usage(w io.Writer) {
	fmt.Fprint(w, "fixproof closes the loop from a production error to a verified fix.\n\nUsage:\n  fixproof COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  # Play the whole loop on simulators, with no accounts and no network:
  fixproof demo
  # Which Jira keys would fixproof find in this branch and title?
  fixproof keys -branch feature/ops-123-fix "OPS-1: fix UTF-8 handling"

Run 'fixproof COMMAND --help' (or 'fixproof help COMMAND') for a command's flags and examples.
`)
}

// run runs the command args name. A request for help is not an error;
// a wrong command line is one that wraps errUsage.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	p := proc{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	var err error
	switch name := args[0]; name {
	case "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "--version", "-version":
		err = printVersion(args[1:], stdout)
	default:
		c, ok := lookup(name)
		if !ok {
			fmt.Fprintf(stderr, "fixproof: unknown command %q\n\n", name)
			usage(stderr)
			return errUsage
		}
		err = c.run(ctx, args[1:], p)
	}
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

var helpHelp = help{
	usage: []string{"fixproof help [COMMAND [SUBCOMMAND]]"},
	about: `Shows a command's help, as 'fixproof COMMAND --help' does: its usage, what
it does, its flags and examples. Without a COMMAND it lists the commands.`,
	example: `  # The flags of fixproof keys, and examples:
  fixproof help keys
  # A subcommand's help:
  fixproof help bot redrive`,
}

// runHelp is `fixproof help [COMMAND [SUBCOMMAND]]`.
func runHelp(ctx context.Context, args []string, p proc) error {
	fs := newFlagSet("help")
	// The flags end at the topic, unlike other commands': what follows it
	// is the topic's command line.
	if err := parseLeadingFlags(fs, helpHelp, args, p.stdout); err != nil {
		return err
	}
	topic := fs.Args()
	if len(topic) == 0 {
		usage(p.stdout)
		return nil
	}
	c, ok := lookup(topic[0])
	if !ok {
		return badUsage("help", helpHelp.usage[0], "no command %q; the commands are %s", topic[0], commandNames())
	}
	// A command's help is what its own --help prints, so the two never
	// drift apart; what follows the name is the rest of a command line,
	// e.g. `fixproof help bot redrive`.
	return c.run(ctx, append(topic[1:len(topic):len(topic)], "--help"), p)
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

var versionHelp = help{
	usage: []string{"fixproof version"},
	about: "Prints the version of fixproof, as stamped when it was built (dev when not).",
	example: `  fixproof version
  # The same, as the flag other tools take:
  fixproof --version`,
}

func printVersion(args []string, stdout io.Writer) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, versionHelp, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badUsage("version", versionHelp.usage[0], "takes no arguments, got %q", fs.Arg(0))
	}
	fmt.Fprintln(stdout, "fixproof", version)
	return nil
}

var actionHelp = help{
	usage: []string{"fixproof action"},
	about: `Runs as the GitHub Action. It reads its inputs from INPUT_<NAME> variables
and the event from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, as the runner
sets them; moves the Jira issues a pull request names through their
workflow, or on a schedule sweeps merged fixes and verifies them against
Sentry; and reports through GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and workflow
commands on standard output. In a workflow use the action itself
(uses: fixproof/fixproof@v1); to run it by hand, set the variables.`,
	more: `Exit status: 0 when every issue was handled; 1 when something failed and
fail_on_error is true (the default); with fail_on_error false, failures are
reported and the status is 0. 2 for a wrong command line.`,
	example: `  # Plan (dry run) moving OPS-1 to In Review, by hand:
  GITHUB_EVENT_NAME=workflow_dispatch GITHUB_REPOSITORY=acme/api \
  INPUT_JIRA_BASE_URL=https://acme.atlassian.net INPUT_JIRA_EMAIL=you@acme.io \
  INPUT_JIRA_API_TOKEN=$JIRA_TOKEN INPUT_ISSUE_KEYS=OPS-1 \
  INPUT_TARGET_STATUS=in_review INPUT_DRY_RUN=true fixproof action
  # Plan the scheduled sweep (dry run): which merged fixes it would close:
  GITHUB_EVENT_NAME=schedule GITHUB_REPOSITORY=acme/api GITHUB_TOKEN=$GH_TOKEN \
  INPUT_JIRA_BASE_URL=https://acme.atlassian.net INPUT_JIRA_EMAIL=you@acme.io \
  INPUT_JIRA_API_TOKEN=$JIRA_TOKEN INPUT_SENTRY_ORG=acme \
  INPUT_SENTRY_TOKEN=$SENTRY_TOKEN INPUT_DRY_RUN=true fixproof action`,
}

// actionInputs lists the action's inputs and their defaults for its help.
func actionInputs() string {
	var b strings.Builder
	b.WriteString("Inputs (INPUT_<NAME> in upper case; default after =):\n")
	for _, in := range action.Inputs {
		line := "  " + in.Name
		if in.Default != "" {
			line += " = " + in.Default
		}
		if in.Name == "github_token" {
			line += " (by hand: GITHUB_TOKEN)"
		}
		if in.Secret {
			line += "  [secret: masked in the log]"
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// runAction is `fixproof action`: the action reads everything from the
// environment, so the command line holds nothing but a request for help.
func runAction(ctx context.Context, args []string, p proc) error {
	fs := newFlagSet("action")
	h := actionHelp
	h.more = actionInputs() + "\n" + h.more
	if err := parseFlags(fs, h, args, p.stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badUsage("action", h.usage[0], "takes no arguments, got %q: inputs are INPUT_<NAME> variables", fs.Arg(0))
	}
	return action.Run(ctx, action.Deps{Getenv: p.getenv, Stdout: p.stdout, Version: version})
}

var keysHelp = help{
	usage: []string{"fixproof keys [flags] [TEXT...]"},
	about: `Prints the Jira issue keys fixproof would find, one per line, in the order
the action uses them: in TEXT (like a PR title or a commit message), a
branch name, a PR body (code blocks, quotes and comments are skipped) or a
pull_request event file. Offline: nothing is asked of Jira or GitHub.
Flags may come before or after the TEXT; after "--" everything is TEXT.`,
	example: `  # Keys in a PR title and its branch:
  fixproof keys -branch feature/ops-123-fix "OPS-1: fix UTF-8 handling"
  # Keys the action finds in a pull_request event, in two projects only:
  fixproof keys -event "$GITHUB_EVENT_PATH" -projects OPS,WEB`,
}

func keys(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("keys")
	branch := fs.String("branch", "", "a head branch `NAME` (matched case-insensitively)")
	body := fs.String("body", "", "a pull request body in markdown, from `FILE` (\"-\" for standard input)")
	event := fs.String("event", "", "a pull_request event `FILE`: its title, branch and body")
	projects := fs.String("projects", "", "only keys of these `PROJECTS`, comma separated, e.g. OPS,WEB")
	if err := parseFlags(fs, keysHelp, args, stdout); err != nil {
		return err
	}
	allow, err := jirakey.ParseProjects(*projects)
	if err != nil {
		return badUsage("keys", keysHelp.usage[0], "-projects: %s", err)
	}
	ex := jirakey.Extractor{Projects: allow}
	var lists [][]string
	if fs.NArg() > 0 {
		lists = append(lists, ex.Text(strings.Join(fs.Args(), " ")))
	}
	if *branch != "" {
		lists = append(lists, ex.Branch(*branch))
	}
	if *body != "" {
		text, err := readFile(*body, stdin)
		if err != nil {
			return err
		}
		lists = append(lists, ex.Body(text))
	}
	if *event != "" {
		raw, err := readFile(*event, stdin)
		if err != nil {
			return err
		}
		var ev struct {
			PullRequest *struct {
				Title string  `json:"title"`
				Body  *string `json:"body"`
				Head  struct {
					Ref string `json:"ref"`
				} `json:"head"`
			} `json:"pull_request"`
		}
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return fmt.Errorf("event file %s: %w", *event, err)
		}
		if ev.PullRequest == nil {
			return fmt.Errorf("event file %s has no pull_request: give a pull_request event", *event)
		}
		lists = append(lists, ex.Text(ev.PullRequest.Title), ex.Branch(ev.PullRequest.Head.Ref))
		if ev.PullRequest.Body != nil {
			lists = append(lists, ex.Body(*ev.PullRequest.Body))
		}
	}
	if len(lists) == 0 {
		return badUsage("keys", keysHelp.usage[0], "give a TEXT, -branch, -body or -event")
	}
	for _, k := range uniq.Concat(lists...) {
		fmt.Fprintln(stdout, k)
	}
	return nil
}

func readFile(name string, stdin io.Reader) (string, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		return string(b), err
	}
	b, err := os.ReadFile(name)
	return string(b), err
}
