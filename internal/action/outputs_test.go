package action

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// runnerOutputs reads a GITHUB_OUTPUT file as the Actions runner does
// (actions/runner, the file command parser on Linux): lines split on "\n";
// NAME=VALUE; or NAME<<DELIMITER, then the value's lines up to the first
// line that is exactly DELIMITER. Unlike readOutputs it keeps every block,
// so a forged block shows up as an extra output, and it fails where the
// runner fails. The order of blocks is returned too.
func runnerOutputs(text string) (map[string]string, []string, error) {
	out := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := out[k]; !ok {
			order = append(order, k)
		}
		out[k] = v
	}
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\n")
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			k, v, _ := strings.Cut(line, "=")
			set(k, v)
		case hd >= 0:
			name, delim, _ := strings.Cut(line, "<<")
			if name == "" || delim == "" {
				return nil, nil, fmt.Errorf("invalid format %q: name and delimiter must not be empty", line)
			}
			var value strings.Builder
			found := false
			for i++; i < len(lines); i++ {
				if strings.TrimSuffix(lines[i], "\n") == delim {
					found = true
					break
				}
				value.WriteString(lines[i])
			}
			if !found {
				return nil, nil, fmt.Errorf("matching delimiter not found %q", delim)
			}
			set(name, strings.TrimSuffix(value.String(), "\n"))
		default:
			return nil, nil, fmt.Errorf("invalid format %q", line)
		}
	}
	return out, order, nil
}

// hostile is text a pull request author controls, full of the delimiters
// one would guess: the fixed one of go-githubactions, the toolkit's
// ghadelimiter_<uuid> shape, a heredoc's EOF and fixproof's own shape.
const hostile = "OPS-1: fix\n" +
	"EOF\nfailed<<EOF\nOPS-9\nEOF\n" +
	"_GitHubActionsFileCommandDelimeter_\ntransitioned<<_GitHubActionsFileCommandDelimeter_\npwned\n_GitHubActionsFileCommandDelimeter_\n" +
	"ghadelimiter_8f14e45f-ceea-467f-a0e6-6b9f2c1e1a5d\nskipped=OPS-2\n" +
	"fixproof_00000000000000000000000000000000\nfixproof_\n" +
	"results_json<<fixproof_0123456789abcdef0123456789abcdef\n[]\nfixproof_0123456789abcdef0123456789abcdef\n"

func TestOutputsParseExactlyWhateverTheValueHolds(t *testing.T) {
	outputs := [][2]string{
		{"issue_keys", "OPS-1 OPS-2"},
		{"title", hostile},
		{"empty", ""},
		{"only_a_delimiter", "EOF"},
		{"trailing_newline", "a\nb\n"},
		{"blank_lines", "\n\nx\n\n"},
		{"crlf", "a\r\nEOF\r\nb"},
		{"failed", ""},
	}
	text, err := formatOutputs(outputs, randomDelimiter)
	if err != nil {
		t.Fatal(err)
	}
	got, order, err := runnerOutputs(text)
	if err != nil {
		t.Fatalf("the runner would reject GITHUB_OUTPUT: %v\n%s", err, text)
	}
	want := map[string]string{}
	var wantOrder []string
	for _, o := range outputs {
		want[o[0]] = o[1]
		wantOrder = append(wantOrder, o[0])
	}
	if !maps.Equal(got, want) || !slices.Equal(order, wantOrder) {
		t.Errorf("the runner reads\n%q\nin order %v, want\n%q\nin order %v\nfile:\n%s", got, order, want, wantOrder, text)
	}
}

func TestADelimiterTheValueHoldsIsNeverUsed(t *testing.T) {
	// The first candidate is on a line of the value, as if guessed.
	candidates := []string{"fixproof_guessed", "fixproof_guessed", "fixproof_fresh"}
	next := func() string {
		c := candidates[0]
		candidates = candidates[1:]
		return c
	}
	value := "title\nfixproof_guessed\nfailed<<EOF\nOPS-9\nEOF"
	text, err := formatOutputs([][2]string{{"title", value}}, next)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "title<<fixproof_fresh\n") {
		t.Errorf("wrote\n%s\nwant the block delimited by fixproof_fresh, the first candidate the value does not hold", text)
	}
	got, _, err := runnerOutputs(text)
	if err != nil || len(got) != 1 || got["title"] != value {
		t.Errorf("the runner reads %q (%v), want only title = %q", got, err, value)
	}
}

// delimiterLine matches the first line of an output block.
var delimiterLine = regexp.MustCompile(`(?m)^[a-z_]+<<(.*)$`)

// A delimiter the value does not hold is not enough: one that could be
// known in advance could be put in a value. Every block gets its own,
// unguessable one.
func TestDelimitersAreFreshAndUnguessable(t *testing.T) {
	outputs := [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}}
	seen := map[string]bool{}
	for range 2 {
		text, err := formatOutputs(outputs, randomDelimiter)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range delimiterLine.FindAllStringSubmatch(text, -1) {
			d := m[1]
			if seen[d] {
				t.Errorf("delimiter %q used twice", d)
			}
			seen[d] = true
			if !regexp.MustCompile(`[0-9a-f]{32}$`).MatchString(d) {
				t.Errorf("delimiter %q does not end in 128 random bits", d)
			}
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d delimiters for 6 blocks", len(seen))
	}
}

// The whole action, PR mode and sweep: the GITHUB_OUTPUT it leaves reads
// exactly as the outputs it means, whatever the pull request says, and no
// block is delimited by a delimiter that could be known in advance.
func TestActionOutputsReadExactlyWhenThePullRequestHoldsDelimiters(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	w.issue("OPS-2", "In Review")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 " + strings.ReplaceAll(hostile, "\n", " "), HeadRefName: "fix/ops-2",
		Body: hostile, Commits: []githubsim.Commit{{Message: hostile}}})
	dir := t.TempDir()
	path := filepath.Join(dir, "output")
	raw := func(o outcome) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var delims []string
	check := func(text string, want map[string]string) {
		t.Helper()
		got, _, err := runnerOutputs(text)
		if err != nil {
			t.Fatalf("the runner would reject GITHUB_OUTPUT: %v\n%s", err, text)
		}
		if !maps.Equal(got, want) {
			t.Errorf("the runner reads\n%q\nwant\n%q", got, want)
		}
		for _, m := range delimiterLine.FindAllStringSubmatch(text, -1) {
			if strings.Contains(hostile, m[1]) || slices.Contains(delims, m[1]) {
				t.Errorf("delimiter %q is guessable or used twice", m[1])
			}
			delims = append(delims, m[1])
		}
	}

	w.env = map[string]string{"GITHUB_OUTPUT": path}
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, o.stdout)
	}
	check(raw(o), map[string]string{
		// OPS-9 is named by the forged block: a key like any other, not found.
		"issue_keys": "OPS-1 OPS-9 OPS-2", "transitioned": "OPS-1", "skipped": "OPS-9 OPS-2", "failed": "", "error": "",
		"results_json": `[{"key":"OPS-1","from":"Open","to":"In Review","action":"transitioned","reason":"pull request is open for review (via In Progress)"},` +
			`{"key":"OPS-9","from":"","to":"","action":"skipped","reason":"not found"},` +
			`{"key":"OPS-2","from":"In Review","to":"In Review","action":"skipped","reason":"already In Review"}]`,
	})

	w.clock.Set(afterFour)
	o = w.run("schedule", nil)
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, o.stdout)
	}
	check(raw(o), map[string]string{
		"issue_keys": "", "transitioned": "", "skipped": "", "failed": "", "sentry_resolved": "", "jira_closed": "", "unverified": "",
		"results_json": "[]", "error": "",
	})
	if errors.Is(o.err, ErrFailed) {
		t.Error("nothing failed")
	}
}

func TestASourceThatKeepsGivingTheValuesDelimiterIsAnError(t *testing.T) {
	_, err := formatOutputs([][2]string{{"title", "x\nEOF\n"}}, func() string { return "EOF" })
	if err == nil || !strings.Contains(err.Error(), "output title") {
		t.Errorf("err = %v, want an error naming the output", err)
	}
}

// Past a table's worth of results the summary groups them: failures in a
// table with their reasons, every other key on the line of its outcome.
func TestALongSummaryIsGroupedByOutcome(t *testing.T) {
	var results []Result
	for i := 1; i <= 30; i++ {
		r := Result{Key: fmt.Sprintf("OPS-%d", i), URL: fmt.Sprintf("https://j/browse/OPS-%d", i), From: "Open", To: "In Review", Action: Transitioned}
		switch {
		case i == 7:
			r.Action, r.Reason, r.To = Failed, "no transition to In Review | x", "Open"
		case i > 27:
			r.Action, r.Reason, r.To = Skipped, "not found", ""
		}
		results = append(results, r)
	}
	var b strings.Builder
	writeGrouped(&b, results)
	got := b.String()
	for _, want := range []string{
		"| Failed | From | Reason |\n|---|---|---|\n| [OPS-7](https://j/browse/OPS-7) | Open | no transition to In Review &#124; x |\n",
		"**transitioned to In Review** (26): [OPS-1](https://j/browse/OPS-1), [OPS-2](https://j/browse/OPS-2)",
		"**skipped \\(not found\\)** (3): [OPS-28](https://j/browse/OPS-28), [OPS-29](https://j/browse/OPS-29), [OPS-30](https://j/browse/OPS-30)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("grouped summary lacks\n%s\n%s", want, got)
		}
	}
	if strings.Contains(got, "[OPS-7](https://j/browse/OPS-7), ") {
		t.Errorf("a failed key is also listed as moved:\n%s", got)
	}
}
