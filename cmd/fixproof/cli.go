package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit statuses, as Go's own tools and most Unix commands use them.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and something failed
	exitUsage  = 2 // the command line was wrong: nothing ran
)

// errUsage is wrapped by every command-line mistake; the message has
// already said what was wrong when it is returned.
var errUsage = errors.New("usage")

// errHelp is returned once a command's help has been printed on request:
// nothing else is to run, and the exit status is 0.
var errHelp = errors.New("help shown")

// usageError is a command-line mistake in one command.
type usageError struct {
	cmd  string // "keys", "bot", "bot redrive"
	msg  string
	line string // the command's usage line, shown as a reminder
}

func (e *usageError) Error() string { return e.msg }

func (e *usageError) Is(target error) bool { return target == errUsage }

// badUsage is the error for a wrong command line of cmd.
func badUsage(cmd, line, format string, args ...any) error {
	return &usageError{cmd: cmd, line: line, msg: fmt.Sprintf(format, args...)}
}

// exitStatus turns what run returned into the process's exit status,
// printing what went wrong on stderr.
func exitStatus(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "fixproof %s: %s\n", ue.cmd, ue.msg)
		if ue.line != "" {
			fmt.Fprintf(stderr, "Usage: %s\n", ue.line)
		}
		fmt.Fprintf(stderr, "Run 'fixproof %s --help' for more.\n", ue.cmd)
		return exitUsage
	case errors.Is(err, errUsage):
		return exitUsage // the command said what was wrong itself
	default:
		fmt.Fprintln(stderr, "fixproof:", err)
		return exitFailed
	}
}

// help is what `fixproof CMD --help` says about a command around its
// flags, which come from its flag set.
type help struct {
	usage   []string // usage lines, without "Usage:"
	about   string   // what the command does
	more    string   // anything after the flags, e.g. environment variables
	example string   // command lines, each after a # comment saying what it does
}

// print writes the command's help: usage, what it does, its flags (and
// subcommands), then the rest and the examples.
func (h help) print(w io.Writer, fs *flag.FlagSet, subs map[string]subcommand) {
	fmt.Fprintln(w, "Usage:")
	for _, u := range h.usage {
		fmt.Fprintln(w, "  "+u)
	}
	fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(h.about))
	if len(subs) > 0 {
		fmt.Fprint(w, "\nCommands:\n")
		names := make([]string, 0, len(subs))
		for name := range subs {
			names = append(names, name)
		}
		sort.Strings(names)
		width := 0
		for _, name := range names {
			width = max(width, len(name))
		}
		for _, name := range names {
			fmt.Fprintf(w, "  %-*s  %s\n", width, name, subs[name].summary)
		}
	}
	var flags bytes.Buffer
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	if h.more != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(h.more))
	}
	if h.example != "" {
		fmt.Fprintf(w, "\n%s\n%s\n", examplesHeading(h.example), strings.TrimRight(h.example, "\n"))
	}
}

// examplesHeading is "Example:" or "Examples:", as many as the block has.
func examplesHeading(block string) string {
	if countExamples(block) == 1 {
		return "Example:"
	}
	return "Examples:"
}

// countExamples counts the command lines of an example block: lines that
// are neither blank, nor a # comment, nor the continuation of a line
// ending in a backslash.
func countExamples(block string) int {
	n, continued := 0, false
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !continued && !strings.HasPrefix(line, "#") {
			n++
		}
		continued = strings.HasSuffix(line, "\\")
	}
	return n
}

// newFlagSet is the flag set of a command, named as it is typed after
// "fixproof" ("keys", "bot redrive"), which is how errors name it.
func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet(name, flag.ContinueOnError)
}

// parseFlags parses a command's flags, wherever they are on the command
// line: -h, -help and --help print the command's help on stdout and return
// errHelp; a flag the command does not know returns a usage error naming
// it. The other arguments are left, in order, as fs.Args().
func parseFlags(fs *flag.FlagSet, h help, args []string, stdout io.Writer) error {
	return parseFlagsWith(fs, h, nil, args, stdout)
}

func parseFlagsWith(fs *flag.FlagSet, h help, subs map[string]subcommand, args []string, stdout io.Writer) error {
	return parseCommandLine(fs, h, subs, args, stdout, parseInterspersed)
}

// parseLeadingFlags is parseFlags for a command whose flags all come
// first: the first argument that is not a flag ends them.
func parseLeadingFlags(fs *flag.FlagSet, h help, args []string, stdout io.Writer) error {
	return parseCommandLine(fs, h, nil, args, stdout, (*flag.FlagSet).Parse)
}

// parseCommandLine parses args with parse, printing h on request.
func parseCommandLine(fs *flag.FlagSet, h help, subs map[string]subcommand, args []string, stdout io.Writer, parse func(*flag.FlagSet, []string) error) error {
	// The flag package would print its message and the defaults on stderr
	// itself; the caller decides where help and errors go.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		h.print(stdout, fs, subs)
		return errHelp
	case err != nil:
		return badUsage(fs.Name(), h.usage[0], "%s", err)
	}
	return nil
}

// parseInterspersed parses flags before, between and after the other
// arguments: the flag package stops at the first argument that is not a
// flag, and `fixproof keys WEB-9 -branch feature/ops-1` would take
// "-branch" for text. A "--" ends the flags: what follows it is all
// arguments, even when it starts with "-".
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			rest = append(rest, left...)
			break
		}
		rest, args = append(rest, left[0]), left[1:]
	}
	// Once more with the arguments alone, so that fs.Args and fs.NArg
	// report them all.
	return fs.Parse(append([]string{"--"}, rest...))
}

// subcommand is a command under another, such as `fixproof bot redrive`.
type subcommand struct {
	summary string // one line for the parent's help
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// isSubcommand reports whether a command line names a subcommand rather
// than giving flags: `fixproof bot redrive ...`, not `fixproof bot --config`.
func isSubcommand(args []string) bool {
	return len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-")
}
