package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// cliCmd runs the process as main does and returns its exit status,
// standard output and standard error.
func cliCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestEveryHelpPrintsUsageOnStdoutAndExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"--help"}, []string{"Usage:\n  fixproof COMMAND [flags]", "action ", "bot ", "keys ", "demo ", "fixproof help COMMAND"}},
		{[]string{"-h"}, []string{"Commands:"}},
		{[]string{"help"}, []string{"Commands:"}},
		{[]string{"bot", "--help"}, []string{"Usage:\n  fixproof bot [--config FILE]", "companion bot", "Flags:\n  -config FILE", "FIXPROOF_LOG_LEVEL", "Examples:\n  fixproof bot --config"}},
		{[]string{"bot", "-h"}, []string{"Usage:\n  fixproof bot"}},
		{[]string{"bot", "-help"}, []string{"Usage:\n  fixproof bot"}},
		{[]string{"bot", "--config", "fixproof.yml", "--help"}, []string{"Usage:\n  fixproof bot"}},
		{[]string{"help", "bot"}, []string{"Usage:\n  fixproof bot", "Examples:"}},
		{[]string{"action", "--help"}, []string{"Usage:\n  fixproof action", "GitHub Action", "INPUT_<NAME>", "fail_on_error = true", "Exit status:", "Examples:"}},
		{[]string{"action", "-h"}, []string{"Usage:\n  fixproof action"}},
		{[]string{"help", "action"}, []string{"Usage:\n  fixproof action"}},
		{[]string{"keys", "-h"}, []string{"Usage:\n  fixproof keys [flags] [TEXT...]", "-branch NAME", "-body FILE", "-event FILE", "-projects PROJECTS", "Examples:"}},
		{[]string{"keys", "--help"}, []string{"Usage:\n  fixproof keys"}},
		{[]string{"demo", "--help"}, []string{"Usage:\n  fixproof demo", "-storm N", "-serve", "Examples:"}},
		{[]string{"demo", "-h"}, []string{"Usage:\n  fixproof demo"}},
		{[]string{"version", "--help"}, []string{"Usage:\n  fixproof version"}},
		{[]string{"help", "keys"}, []string{"Usage:\n  fixproof keys"}},
		{[]string{"help", "demo"}, []string{"Usage:\n  fixproof demo", "-storm N"}},
		{[]string{"help", "version"}, []string{"Usage:\n  fixproof version"}},
		{[]string{"version", "-h"}, []string{"Usage:\n  fixproof version"}},
		// The rest of a command line after the topic is the topic's.
		{[]string{"help", "keys", "-branch", "feature/ops-1"}, []string{"Usage:\n  fixproof keys"}},
		{[]string{"help", "help"}, []string{"Usage:\n  fixproof help [COMMAND [SUBCOMMAND]]", "fixproof help bot redrive"}},
		{[]string{"help", "--help"}, []string{"Usage:\n  fixproof help [COMMAND"}},
		{[]string{"help", "-h"}, []string{"Usage:\n  fixproof help [COMMAND"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := cliCmd(t, nil, tt.args...)
			if code != exitOK {
				t.Errorf("exit %d, want 0; stderr %q", code, stderr)
			}
			if stderr != "" {
				t.Errorf("help went to stderr: %q", stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// Each command's help (-h, --help or `fixproof help NAME`, the same text)
// gives its usage line, what it does, each of its flags and at least two
// examples. `bot` and its subcommands are checked with the bot.
func TestEveryCommandExplainsItselfWithFlagsAndTwoExamples(t *testing.T) {
	flags := map[string][]string{
		"action": nil, "version": nil, "help": nil,
		"demo": {"-serve", "-storm N"},
		"keys": {"-body FILE", "-branch NAME", "-event FILE", "-projects PROJECTS"},
	}
	for name, want := range flags {
		t.Run(name, func(t *testing.T) {
			_, text, _ := cliCmd(t, nil, name, "--help")
			for _, args := range [][]string{{name, "-h"}, {name, "-help"}, {"help", name}} {
				if code, stdout, _ := cliCmd(t, nil, args...); code != exitOK || stdout != text {
					t.Errorf("fixproof %s: exit %d, and its help differs from --help's:\n%s", strings.Join(args, " "), code, stdout)
				}
			}
			usage, about, _ := strings.Cut(text, "\n\n")
			if !strings.HasPrefix(usage, "Usage:\n  fixproof "+name) || len(about) < 40 {
				t.Errorf("no usage line, or no paragraph on what it does:\n%s", text)
			}
			if len(want) > 0 && !strings.Contains(text, "\nFlags:\n") {
				t.Errorf("no Flags section:\n%s", text)
			}
			for _, f := range want {
				if !strings.Contains(text, "\n  "+f+"\n    \t") {
					t.Errorf("flag %s is not explained:\n%s", f, text)
				}
			}
			_, examples, ok := strings.Cut(text, "\nExamples:\n")
			if n := countExamples(examples); !ok || n < 2 {
				t.Errorf("%d examples under an Examples heading, want 2 or more:\n%s", n, text)
			}
		})
	}
}

func TestExamplesAreCountedByCommandLine(t *testing.T) {
	tests := []struct {
		block string
		want  int
	}{
		{"  fixproof version", 1},
		{"  # what it does:\n  fixproof version\n  fixproof --version\n", 2},
		{"  A=1 \\\n  B=2 \\\n  fixproof action\n  # then:\n  A=1 fixproof action", 2},
		{"\n  # only a comment\n\n", 0},
	}
	for _, tt := range tests {
		if got := countExamples(tt.block); got != tt.want {
			t.Errorf("countExamples(%q) = %d, want %d", tt.block, got, tt.want)
		}
	}
	if examplesHeading("  fixproof bot") != "Example:" || examplesHeading("  fixproof a\n  fixproof b") != "Examples:" {
		t.Error("the heading does not follow the number of examples")
	}
}

// The action's examples set only inputs the action has: a renamed input
// would leave them silently wrong.
func TestActionHelpExamplesSetRealInputs(t *testing.T) {
	names := regexp.MustCompile(`INPUT_([A-Z_]+)=`).FindAllStringSubmatch(actionHelp.example, -1)
	if len(names) < 8 {
		t.Fatalf("found %d inputs in the examples, want the dozen they set", len(names))
	}
	for _, m := range names {
		if !slices.ContainsFunc(action.Inputs, func(in action.Input) bool { return in.Name == strings.ToLower(m[1]) }) {
			t.Errorf("the example sets INPUT_%s, which is no input of the action", m[1])
		}
	}
}

// Asking the action for help must not run it: a run would print workflow
// commands and write the output files.
func TestActionHelpDoesNotRunTheAction(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_OUTPUT": filepath.Join(dir, "out"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary")}
	for _, flag := range []string{"-h", "--help", "-help"} {
		code, stdout, _ := cliCmd(t, env, "action", flag)
		if code != exitOK || strings.Contains(stdout, "::") {
			t.Errorf("action %s: exit %d, stdout has workflow commands: the action ran\n%s", flag, code, stdout)
		}
		for _, in := range action.Inputs {
			if !strings.Contains(stdout, "\n  "+in.Name) {
				t.Errorf("action %s: input %s is not listed", flag, in.Name)
			}
		}
	}
	if _, err := os.Stat(env["GITHUB_OUTPUT"]); !errors.Is(err, os.ErrNotExist) {
		t.Error("action -h wrote GITHUB_OUTPUT")
	}
}

// Asking the bot for help must not load a config or start serving.
func TestBotHelpDoesNotStartTheBot(t *testing.T) {
	env := map[string]string{"FIXPROOF_CONFIG": filepath.Join(t.TempDir(), "missing.yml")}
	code, stdout, stderr := cliCmd(t, env, "bot", "--help")
	if code != exitOK || !strings.Contains(stdout, "Usage:") || stderr != "" {
		t.Errorf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// Without --help the same command reads the config, and fails on it.
	code, _, stderr = cliCmd(t, env, "bot")
	if code != exitFailed || !strings.Contains(stderr, "missing.yml") {
		t.Errorf("bot without a config: exit %d stderr %q, want 1 naming the file", code, stderr)
	}
}

func TestWrongCommandLinesExitTwoAndSayWhatIsWrong(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stderr
	}{
		{nil, []string{"Usage:", "Commands:"}},
		{[]string{"deploy"}, []string{`unknown command "deploy"`}},
		{[]string{"--nope"}, []string{`unknown command "--nope"`}},
		{[]string{"bot", "--nope"}, []string{"fixproof bot: flag provided but not defined: -nope", "Usage: fixproof bot [--config FILE]", "fixproof bot --help"}},
		{[]string{"bot", "--config"}, []string{"fixproof bot: flag needs an argument: -config"}},
		{[]string{"bot", "--config", "x.yml", "extra"}, []string{`fixproof bot: unexpected argument "extra"`}},
		{[]string{"bot", "replay"}, []string{`fixproof bot: unknown command "replay"`}},
		{[]string{"action", "--nope"}, []string{"fixproof action: flag provided but not defined: -nope", "fixproof action --help"}},
		{[]string{"action", "now"}, []string{`fixproof action: takes no arguments, got "now"`}},
		{[]string{"keys", "-x"}, []string{"fixproof keys: flag provided but not defined: -x", "Usage: fixproof keys"}},
		{[]string{"keys", "-projects", "9X", "OPS-1"}, []string{"fixproof keys: -projects:", "9X"}},
		{[]string{"demo", "-storm", "0"}, []string{"fixproof demo: -storm must be at least 1, got 0"}},
		{[]string{"demo", "-storm", "-5"}, []string{"fixproof demo: -storm must be at least 1, got -5"}},
		{[]string{"demo", "-storm", "many"}, []string{"fixproof demo: invalid value \"many\" for flag -storm"}},
		{[]string{"demo", "again"}, []string{`fixproof demo: takes no arguments, got "again"`}},
		{[]string{"version", "--short"}, []string{"fixproof version: flag provided but not defined: -short"}},
		{[]string{"help", "deploy"}, []string{`fixproof help: no command "deploy"`}},
		{[]string{"help", "--nope"}, []string{"fixproof help: flag provided but not defined: -nope", "Usage: fixproof help [COMMAND"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := cliCmd(t, nil, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// `fixproof bot NAME ...` runs a subcommand; `fixproof bot --config` serves.
func TestBotSubcommandsAreToldApartFromTheBotsFlags(t *testing.T) {
	var got []string
	probeHelp := help{usage: []string{"fixproof bot probe [-n N]"}, about: "Probes."}
	botCommands["probe"] = subcommand{summary: "probe the bot", run: func(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
		fs := newFlagSet("bot probe")
		n := fs.Int("n", 1, "`N` probes")
		if err := parseFlags(fs, probeHelp, args, stdout); err != nil {
			return err
		}
		got = append(got, strings.Repeat("probe ", *n))
		return nil
	}}
	t.Cleanup(func() { delete(botCommands, "probe") })

	if code, _, stderr := cliCmd(t, nil, "bot", "probe", "-n", "2"); code != exitOK || len(got) != 1 || got[0] != "probe probe " {
		t.Errorf("bot probe -n 2: exit %d, ran %q, stderr %q", code, got, stderr)
	}
	code, stdout, _ := cliCmd(t, nil, "bot", "--help")
	if code != exitOK || !strings.Contains(stdout, "fixproof bot COMMAND [flags]") || !regexp.MustCompile(`\n  probe +probe the bot\n`).MatchString(stdout) {
		t.Errorf("bot --help does not list the subcommand:\n%s", stdout)
	}
	code, stdout, _ = cliCmd(t, nil, "help", "bot", "probe")
	if code != exitOK || !strings.Contains(stdout, "Usage:\n  fixproof bot probe [-n N]") {
		t.Errorf("help bot probe: exit %d\n%s", code, stdout)
	}
	code, _, stderr := cliCmd(t, nil, "bot", "probe", "--nope")
	if code != exitUsage || !strings.Contains(stderr, "fixproof bot probe: flag provided but not defined: -nope") || !strings.Contains(stderr, "fixproof bot probe --help") {
		t.Errorf("bot probe --nope: exit %d stderr %q", code, stderr)
	}
	code, _, stderr = cliCmd(t, nil, "bot", "prob")
	if code != exitUsage || !strings.Contains(stderr, "one of its commands: check, github-app-manifest, probe, redrive") {
		t.Errorf("bot prob: exit %d stderr %q", code, stderr)
	}
}

// actionEnv is a key dispatch of OPS-1 to In Review against jsrv, with
// the token given.
func actionEnv(t *testing.T, jiraURL, token string) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REPOSITORY": "acme/api",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"INPUT_JIRA_BASE_URL": jiraURL, "INPUT_JIRA_EMAIL": "bot@acme.io", "INPUT_JIRA_API_TOKEN": token,
		"INPUT_ISSUE_KEYS": "OPS-1", "INPUT_TARGET_STATUS": "in_review",
	}
}

func jiraWithOPS1(t *testing.T) (*jirasim.Server, string) {
	t.Helper()
	js := jirasim.New(jirasim.Options{Email: "bot@acme.io", APIToken: "tok"})
	js.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	if err := js.AddIssue("OPS-1", "crash", "In Progress"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(js.Handler())
	t.Cleanup(srv.Close)
	return js, srv.URL
}

// The exit status of `fixproof action` is what the runner sees: a Jira
// that refuses the token fails the step only with fail_on_error true.
func TestActionExitStatusFollowsFailOnError(t *testing.T) {
	_, url := jiraWithOPS1(t)
	for _, tt := range []struct {
		failOnError string
		want        int
	}{{"", exitFailed}, {"true", exitFailed}, {"false", exitOK}} {
		env := actionEnv(t, url, "expired")
		env["INPUT_FAIL_ON_ERROR"] = tt.failOnError
		code, stdout, stderr := cliCmd(t, env, "action")
		if code != tt.want {
			t.Errorf("fail_on_error %q: exit %d, want %d\nstderr %s", tt.failOnError, code, tt.want, stderr)
		}
		if !strings.Contains(stdout, "::error::search Jira for OPS-1") || !strings.Contains(stdout, "check jira_email and jira_api_token") {
			t.Errorf("fail_on_error %q: no annotation naming the inputs:\n%s", tt.failOnError, stdout)
		}
		if out, _ := os.ReadFile(env["GITHUB_OUTPUT"]); !bytes.Contains(out, []byte(`"action":"failed"`)) {
			t.Errorf("fail_on_error %q: results_json does not report OPS-1 failed:\n%s", tt.failOnError, out)
		}
	}
}

// The example in `fixproof action --help` works as written.
func TestActionHelpExampleRuns(t *testing.T) {
	js, url := jiraWithOPS1(t)
	env := actionEnv(t, url, "tok")
	env["INPUT_DRY_RUN"] = "true"
	code, stdout, stderr := cliCmd(t, env, "action")
	if code != exitOK || !strings.Contains(stdout, "OPS-1: In Progress -> In Review: planned") {
		t.Errorf("exit %d stderr %q\n%s", code, stderr, stdout)
	}
	if is, _ := js.Issue("OPS-1"); is.Status != "In Progress" {
		t.Errorf("a dry run moved OPS-1 to %s", is.Status)
	}
	for _, name := range []string{"GITHUB_EVENT_NAME=workflow_dispatch", "INPUT_ISSUE_KEYS=OPS-1", "INPUT_TARGET_STATUS=in_review", "INPUT_DRY_RUN=true"} {
		if !strings.Contains(actionHelp.example, name) {
			t.Errorf("the example no longer sets %s: keep this test in step", name)
		}
	}
}

// The built binary: what the runner and a shell see is the process's exit
// status, so main's mapping is checked on the real process.
func TestTheBinaryExitsWithTheDocumentedStatus(t *testing.T) {
	bin := testBinary(t)
	_, url := jiraWithOPS1(t)
	status := func(env map[string]string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	soft := actionEnv(t, url, "expired")
	soft["INPUT_FAIL_ON_ERROR"] = "false"
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want int
	}{
		{nil, []string{"bot", "--help"}, 0},
		{nil, []string{"action", "-h"}, 0},
		{nil, []string{"--help"}, 0},
		{nil, []string{"bot", "--nope"}, 2},
		{nil, []string{}, 2},
		{actionEnv(t, url, "expired"), []string{"action"}, 1},
		{soft, []string{"action"}, 0},
	} {
		if got, out := status(tt.env, tt.args...); got != tt.want {
			t.Errorf("fixproof %s: exit %d, want %d\n%s", strings.Join(tt.args, " "), got, tt.want, out)
		}
	}
}
