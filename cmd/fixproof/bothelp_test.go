package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// `fixproof bot -h`, each subcommand's -h and `fixproof help bot ...`
// print the same real help on stdout: the usage line, what the command
// does, each of its flags and at least two examples.
func TestBotHelpsSayUsageWhatFlagsAndExamples(t *testing.T) {
	for _, tt := range []struct {
		cmd   []string
		usage string
		about string
		flags []string
	}{
		{[]string{"bot"}, "fixproof bot [--config FILE]", "Runs the companion bot", []string{"-config FILE"}},
		{[]string{"bot", "redrive"}, "fixproof bot redrive [--config FILE] [--fingerprint FP | --all]", "Moves the bot's dead letters", []string{"-config FILE", "-fingerprint FP", "-all"}},
		{[]string{"bot", "check"}, "fixproof bot check [--config FILE]", "Checks the bot's configuration", []string{"-config FILE"}},
		{[]string{"bot", "github-app-manifest"}, manifestHelp.usage[0], "Prints the manifest of the bot's GitHub App",
			[]string{"-url URL", "-name NAME", "-org ORG", "-html", "-github-url URL", "-public"}},
	} {
		name := strings.Join(tt.cmd, " ")
		code, help, stderr := cliCmd(t, nil, append(tt.cmd, "-h")...)
		if code != exitOK || stderr != "" {
			t.Errorf("%s -h: exit %d, stderr %q", name, code, stderr)
		}
		if !strings.HasPrefix(help, "Usage:\n  "+tt.usage+"\n") || !strings.Contains(help, "\n\n"+tt.about) {
			t.Errorf("%s -h: no usage line %q or no %q:\n%s", name, tt.usage, tt.about, help)
		}
		_, flags, _ := strings.Cut(help, "\nFlags:\n")
		for _, f := range tt.flags {
			if !strings.Contains(flags, "\n  "+f+"\n    \t") && !strings.HasPrefix(flags, "  "+f+"\n    \t") {
				t.Errorf("%s -h: flag %s is not explained:\n%s", name, f, flags)
			}
		}
		_, examples, ok := strings.Cut(help, "\nExamples:\n")
		if n := countExamples(examples); !ok || n < 2 || !strings.Contains(examples, "fixproof "+name) {
			t.Errorf("%s -h: %d examples of it under an Examples heading, want 2 or more:\n%s", name, n, examples)
		}
		if code, viaHelp, _ := cliCmd(t, nil, append([]string{"help"}, tt.cmd...)...); code != exitOK || viaHelp != help {
			t.Errorf("fixproof help %s differs from %s -h:\n%s", name, name, viaHelp)
		}
	}
}

// An unknown FIXPROOF_LOG_LEVEL stops the bot before it starts, rather
// than leaving it at info without a word.
func TestBotRefusesALogLevelItDoesNotKnow(t *testing.T) {
	s := newServices(t)
	cfg := s.config(t, "")
	// A bot that started anyway is stopped when the test gives up on it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	getenv := func(k string) string { return map[string]string{"FIXPROOF_LOG_LEVEL": "warning"}[k] }
	code := cli(ctx, []string{"bot", "--config", cfg}, getenv, strings.NewReader(""), io.Discard, &stderr)
	if want := "fixproof: FIXPROOF_LOG_LEVEL: \"warning\" is not a log level: use debug, info, warn or error\n"; code != exitFailed || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}
