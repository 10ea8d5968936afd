// Command fixproof closes the loop from a production error to a verified
// fix. `fixproof action` is the GitHub Action; `fixproof keys` shows which
// Jira keys it would find, offline.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/jirakey"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "fixproof:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `fixproof closes the loop from a production error to a verified fix.

Usage:
  fixproof demo [-storm N] [-serve]  play the whole loop against simulated GitHub, Jira and Sentry (no accounts, no network)
  fixproof action              run as the GitHub Action (reads INPUT_* and GITHUB_* variables)
  fixproof bot --config FILE   run the companion bot: webhooks in, one Jira issue per problem out
  fixproof keys [flags] [TEXT] print the Jira keys fixproof finds, one per line
  fixproof version             print the version

Flags of keys:
  -branch NAME    a head branch name (matched case-insensitively)
  -body FILE      a pull request body in markdown ("-" for standard input)
  -event FILE     a pull_request event file: title, branch and body
  -projects LIST  only keys of these projects, e.g. OPS,WEB
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "action":
		return action.Run(ctx, action.Deps{Getenv: getenv, Stdout: stdout, Version: version})
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "keys":
		return keys(args[1:], stdin, stdout, stderr)
	case "bot":
		return runBot(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "fixproof", version)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "fixproof: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

func keys(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	branch := fs.String("branch", "", "head branch name")
	body := fs.String("body", "", "markdown body file, - for stdin")
	event := fs.String("event", "", "pull_request event file")
	projects := fs.String("projects", "", "allow-list of project keys")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	allow, err := jirakey.ParseProjects(*projects)
	if err != nil {
		return err
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
		fmt.Fprint(stderr, "fixproof keys: give a TEXT, -branch, -body or -event\n\n", usage)
		return errUsage
	}
	for _, k := range jirakey.Merge(lists...) {
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
