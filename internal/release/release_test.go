package release

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/fixproof/fixproof/internal/botconfig"
)

// releasedImage is what action.yml runs: the image of the current major,
// published by .github/workflows/release.yml.
const releasedImage = "docker://ghcr.io/fixproof/fixproof:v1"

// prEventTypes are the pull_request activity types the action acts on.
var prEventTypes = []string{"opened", "reopened", "ready_for_review", "converted_to_draft", "synchronize", "edited", "closed"}

// ---- loading ---------------------------------------------------------

// repoRoot is the directory holding go.mod, found by walking up.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// document is one YAML document of a file.
type document struct {
	File  string // relative to the repository root, slash-separated
	Index int    // 0 for the first document of the file
	Data  map[string]any
}

func (d document) String() string {
	if d.Index == 0 {
		return d.File
	}
	return fmt.Sprintf("%s (document %d)", d.File, d.Index+1)
}

// parseDocuments decodes every document of a YAML stream; empty documents
// (a trailing ---) are dropped.
func parseDocuments(name string, raw []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []document
	for i := 0; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		if m != nil {
			docs = append(docs, document{File: name, Index: i, Data: m})
		}
	}
}

// yamlFiles lists the release YAML files: .github/workflows, examples/
// and action.yml, relative to root.
func yamlFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"action.yml"}
	for _, dir := range []string{".github/workflows", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("listing %s: %v", dir, err)
		}
	}
	sort.Strings(files)
	return files
}

// loadAll parses every release YAML file; a file that does not parse fails
// the test.
func loadAll(t *testing.T) (root string, docs map[string][]document) {
	t.Helper()
	root = repoRoot(t)
	docs = map[string][]document{}
	for _, f := range yamlFiles(t, root) {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		d, err := parseDocuments(f, raw)
		if err != nil {
			t.Errorf("does not parse: %v", err)
			continue
		}
		if len(d) == 0 {
			t.Errorf("%s: no YAML document", f)
		}
		docs[f] = d
	}
	return root, docs
}

// ---- action.yml ------------------------------------------------------

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type actionDef struct {
	Inputs  map[string]actionInput `yaml:"inputs"`
	Outputs map[string]any         `yaml:"outputs"`
	Runs    struct {
		Using      string   `yaml:"using"`
		Image      string   `yaml:"image"`
		Entrypoint string   `yaml:"entrypoint"`
		Args       []string `yaml:"args"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T, root string) actionDef {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionDef
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if len(a.Inputs) == 0 {
		t.Fatal("action.yml declares no inputs")
	}
	return a
}

// ---- workflows -------------------------------------------------------

// actionStep is one workflow step that uses this action.
type actionStep struct {
	Where string // file, job and step, for messages
	Uses  string
	With  map[string]any
}

// usesThisAction tells whether a step's uses: names this repository's
// action: the checkout (./), the repository at a ref, or its image.
func usesThisAction(uses string) bool {
	uses = strings.TrimSpace(uses)
	return uses == "./" || uses == "." ||
		strings.HasPrefix(strings.ToLower(uses), "fixproof/fixproof@") ||
		strings.HasPrefix(strings.ToLower(uses), "docker://ghcr.io/fixproof/fixproof")
}

// actionSteps finds the steps of a workflow document that use this action.
func actionSteps(doc document) []actionStep {
	jobs, _ := doc.Data["jobs"].(map[string]any)
	names := make([]string, 0, len(jobs))
	for name := range jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []actionStep
	for _, name := range names {
		job, _ := jobs[name].(map[string]any)
		steps, _ := job["steps"].([]any)
		for i, s := range steps {
			step, _ := s.(map[string]any)
			uses, _ := step["uses"].(string)
			if !usesThisAction(uses) {
				continue
			}
			with, _ := step["with"].(map[string]any)
			where := fmt.Sprintf("%s: jobs.%s.steps[%d]", doc, name, i)
			if id, ok := step["id"].(string); ok {
				where += " (id " + id + ")"
			}
			out = append(out, actionStep{Where: where, Uses: uses, With: with})
		}
	}
	return out
}

// checkStep lists what is wrong with a step's with: against action.yml:
// keys that are not inputs, and required inputs without a default that are
// not given. A step that runs the image directly (docker://) may also set
// args and entrypoint, and gets none of action.yml's defaults.
func checkStep(a actionDef, s actionStep) []string {
	image := strings.HasPrefix(s.Uses, "docker://")
	var problems []string
	keys := make([]string, 0, len(s.With))
	for k := range s.With {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := a.Inputs[k]; ok {
			continue
		}
		if image && (k == "args" || k == "entrypoint") {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: with.%s is not an input of action.yml (inputs: %s)", s.Where, k, strings.Join(sortedKeys(a.Inputs), ", ")))
	}
	for _, name := range sortedKeys(a.Inputs) {
		in := a.Inputs[name]
		hasDefault := in.Default != nil && !image
		if !in.Required || hasDefault {
			continue
		}
		if v, ok := s.With[name]; !ok || v == nil || v == "" {
			problems = append(problems, fmt.Sprintf("%s: required input %s is not given (it has no default)", s.Where, name))
		}
	}
	return problems
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isWorkflow tells whether a document is a GitHub workflow.
func isWorkflow(d document) bool {
	_, jobs := d.Data["jobs"]
	_, on := d.Data["on"]
	return jobs && on
}

func TestReleaseYAMLParses(t *testing.T) {
	_, docs := loadAll(t)
	for _, want := range []string{
		"action.yml",
		".github/workflows/ci.yml",
		".github/workflows/release.yml",
		".github/workflows/fixproof.yml",
		"examples/workflows/pull_request.yml",
		"examples/workflows/workflow_dispatch.yml",
		"examples/workflows/sweep.yml",
		"examples/deploy/docker-compose.yml",
		"examples/deploy/kubernetes.yaml",
	} {
		if _, ok := docs[want]; !ok {
			t.Errorf("%s is missing (or did not parse)", want)
		}
	}
	for f, ds := range docs {
		if strings.HasPrefix(f, ".github/workflows/") || strings.HasPrefix(f, "examples/workflows/") {
			for _, d := range ds {
				if !isWorkflow(d) {
					t.Errorf("%s: not a workflow (no on: or jobs:)", d)
				}
			}
		}
	}
}

func TestWorkflowsGiveOnlyTheActionsInputs(t *testing.T) {
	root, docs := loadAll(t)
	a := loadAction(t, root)
	uses := map[string]int{}
	for _, f := range sortedKeys(docs) {
		for _, d := range docs[f] {
			if !isWorkflow(d) {
				continue
			}
			for _, s := range actionSteps(d) {
				uses[f]++
				for _, p := range checkStep(a, s) {
					t.Error(p)
				}
			}
		}
	}
	// Each of these must use the action, or the checks above check nothing.
	for _, f := range []string{
		".github/workflows/fixproof.yml",
		"examples/workflows/pull_request.yml",
		"examples/workflows/workflow_dispatch.yml",
		"examples/workflows/sweep.yml",
	} {
		if uses[f] == 0 {
			t.Errorf("%s: no step uses the action (./, fixproof/fixproof@... or docker://ghcr.io/fixproof/fixproof...)", f)
		}
	}
}

func TestCheckStepReportsBadInputs(t *testing.T) {
	a := actionDef{Inputs: map[string]actionInput{
		"jira_base_url": {Required: true},
		"github_token":  {Required: false, Default: ptr("${{ github.token }}")},
		"mode":          {Default: ptr("auto")},
		"token_needed":  {Required: true, Default: ptr("${{ github.token }}")},
	}}
	bad := `
on: pull_request
jobs:
  jira:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: {anything: goes}
      - uses: fixproof/fixproof@v1
        with:
          jira_url: https://acme.atlassian.net
          mode: sweep
      - uses: ./
        with:
          jira_base_url: https://acme.atlassian.net
      - uses: docker://ghcr.io/fixproof/fixproof@sha256:0123
        with:
          jira_base_url: https://acme.atlassian.net
          args: action
`
	docs, err := parseDocuments("bad.yml", []byte(bad))
	if err != nil || len(docs) != 1 {
		t.Fatalf("parse: %v, %d documents", err, len(docs))
	}
	steps := actionSteps(docs[0])
	if len(steps) != 3 {
		t.Fatalf("found %d steps using the action, want 3 (not actions/checkout): %+v", len(steps), steps)
	}
	cases := []struct {
		step int
		want []string // substrings, one problem each
	}{
		{0, []string{"with.jira_url is not an input of action.yml", "required input jira_base_url is not given"}},
		{1, nil},
		// Run as an image, action.yml's defaults do not apply.
		{2, []string{"required input token_needed is not given"}},
	}
	for _, c := range cases {
		got := checkStep(a, steps[c.step])
		if len(got) != len(c.want) {
			t.Errorf("step %d (%s): %d problems, want %d: %q", c.step, steps[c.step].Uses, len(got), len(c.want), got)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) || !strings.Contains(got[i], "bad.yml: jobs.jira.steps[") {
				t.Errorf("step %d: problem %q, want it to name the file and step and say %q", c.step, got[i], w)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestPullRequestWorkflowsListTheHandledTypes(t *testing.T) {
	_, docs := loadAll(t)
	for _, f := range []string{"examples/workflows/pull_request.yml", ".github/workflows/fixproof.yml"} {
		if len(docs[f]) == 0 {
			t.Errorf("%s: missing", f)
			continue
		}
		on, _ := docs[f][0].Data["on"].(map[string]any)
		pr, _ := on["pull_request"].(map[string]any)
		got := strings.Fields(strings.Trim(fmt.Sprint(pr["types"]), "[]"))
		if !sameSet(got, prEventTypes) {
			t.Errorf("%s: on.pull_request.types = %v, want %v", f, got, prEventTypes)
		}
	}
	// workflow_dispatch.yml passes its inputs to the inputs of the same name.
	f := "examples/workflows/workflow_dispatch.yml"
	if len(docs[f]) == 0 {
		t.Fatalf("%s: missing", f)
	}
	steps := actionSteps(docs[f][0])
	if len(steps) == 0 {
		t.Fatalf("%s: no step uses the action", f)
	}
	on, _ := docs[f][0].Data["on"].(map[string]any)
	wd, _ := on["workflow_dispatch"].(map[string]any)
	inputs, _ := wd["inputs"].(map[string]any)
	for _, name := range []string{"pr_number", "issue_keys", "target_status"} {
		if _, ok := inputs[name]; !ok {
			t.Errorf("%s: on.workflow_dispatch.inputs.%s missing", f, name)
		}
		if got, want := steps[0].With[name], "${{ inputs."+name+" }}"; got != want {
			t.Errorf("%s: with.%s = %v, want %s", f, name, got, want)
		}
	}
	// sweep.yml sweeps on a schedule.
	f = "examples/workflows/sweep.yml"
	if len(docs[f]) == 0 {
		t.Fatalf("%s: missing", f)
	}
	on, _ = docs[f][0].Data["on"].(map[string]any)
	if sched, _ := on["schedule"].([]any); len(sched) == 0 {
		t.Errorf("%s: no on.schedule", f)
	}
	for _, s := range actionSteps(docs[f][0]) {
		if s.With["mode"] != "sweep" {
			t.Errorf("%s: with.mode = %v, want sweep", s.Where, s.With["mode"])
		}
		for _, k := range []string{"sentry_token", "sentry_org"} {
			if s.With[k] == nil {
				t.Errorf("%s: with.%s missing: the sweep needs it", s.Where, k)
			}
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// ---- action.yml runs the released image ------------------------------

func TestActionRunsTheReleasedImage(t *testing.T) {
	a := loadAction(t, repoRoot(t))
	checks := []struct {
		what      string
		got, want any
	}{
		{"runs.using", a.Runs.Using, "docker"},
		{"runs.image", a.Runs.Image, releasedImage},
		{"runs.args (the image's entrypoint is fixproof)", a.Runs.Args, []string{"action"}},
		{"runs.entrypoint", a.Runs.Entrypoint, ""},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("action.yml %s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	// .github/workflows/fixproof.yml builds the checkout by rewriting this
	// exact line to `image: Dockerfile`.
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if line := "\n  image: " + releasedImage + "\n"; !strings.Contains(string(raw), line) {
		t.Errorf("action.yml has no line %q: the dogfood workflow's sed would not find it", strings.TrimSpace(line))
	}
}

// ---- release workflow ------------------------------------------------

func TestReleaseWorkflowPublishesSignedMultiArch(t *testing.T) {
	_, docs := loadAll(t)
	const f = ".github/workflows/release.yml"
	if len(docs[f]) == 0 {
		t.Fatalf("%s: missing", f)
	}
	wf := docs[f][0].Data
	perms, _ := wf["permissions"].(map[string]any)
	for k, want := range map[string]string{"id-token": "write", "packages": "write", "contents": "write"} {
		if perms[k] != want {
			t.Errorf("%s: permissions.%s = %v, want %s", f, k, perms[k], want)
		}
	}
	var all []map[string]any
	jobs, _ := wf["jobs"].(map[string]any)
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		steps, _ := job["steps"].([]any)
		for _, s := range steps {
			m, _ := s.(map[string]any)
			all = append(all, m)
		}
	}
	find := func(prefix string) map[string]any {
		for _, s := range all {
			if u, _ := s["uses"].(string); strings.HasPrefix(u, prefix) {
				return s
			}
		}
		return nil
	}
	runs := func(substr string) bool {
		for _, s := range all {
			if r, _ := s["run"].(string); strings.Contains(r, substr) {
				return true
			}
		}
		return false
	}
	for _, u := range []string{"docker/setup-qemu-action@", "docker/setup-buildx-action@", "docker/login-action@", "sigstore/cosign-installer@"} {
		if find(u) == nil {
			t.Errorf("%s: no step uses %s", f, u)
		}
	}
	build := find("docker/build-push-action@")
	if build == nil {
		t.Fatalf("%s: no docker/build-push-action step", f)
	}
	with, _ := build["with"].(map[string]any)
	if with["sbom"] != true {
		t.Errorf("%s: build-push-action with.sbom = %v, want true", f, with["sbom"])
	}
	if p := fmt.Sprint(with["provenance"]); p == "" || p == "false" || p == "<nil>" {
		t.Errorf("%s: build-push-action with.provenance = %v, want it on", f, with["provenance"])
	}
	platforms := fmt.Sprint(with["platforms"])
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !strings.Contains(platforms, p) {
			t.Errorf("%s: build-push-action platforms %q lack %s", f, platforms, p)
		}
	}
	for what, substr := range map[string]string{
		"signs by digest with cosign":            "cosign sign --yes",
		"checks the image runs as another user":  "--user",
		"moves the major git tag (force push)":   "git push --force origin",
		"tags the image with the major (v1)":     "imagetools create",
		"runs the released image's version call": " version",
	} {
		if !runs(substr) {
			t.Errorf("%s: no step that %s (no run: containing %q)", f, what, substr)
		}
	}
}

// ---- Dockerfile ------------------------------------------------------

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int
	Cmd  string // upper case
	Args string
}

func parseDockerfile(src string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(line, "#") {
			continue // comment inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// checkFinalStage lists what is wrong with the image's final stage: it
// must be distroless static or scratch, run nothing, and receive only the
// binary (and, on scratch, CA certificates).
func checkFinalStage(src string) []string {
	ins := parseDockerfile(src)
	last := -1
	for i, in := range ins {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	if last < 0 {
		return []string{"Dockerfile: no FROM"}
	}
	var problems []string
	from := strings.Fields(ins[last].Args)
	base := ""
	for _, f := range from {
		if !strings.HasPrefix(f, "--") {
			base = f
			break
		}
	}
	scratch := base == "scratch"
	if !scratch && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		problems = append(problems, fmt.Sprintf("Dockerfile:%d: final stage FROM %s: want gcr.io/distroless/static* or scratch", ins[last].Line, base))
	}
	binaries := 0
	for _, in := range ins[last+1:] {
		switch in.Cmd {
		case "RUN", "ADD", "ONBUILD":
			problems = append(problems, fmt.Sprintf("Dockerfile:%d: %s in the final stage: it must only receive the binary", in.Line, in.Cmd))
		case "COPY":
			f := strings.Fields(in.Args)
			var srcs []string
			for _, a := range f {
				if !strings.HasPrefix(a, "--") {
					srcs = append(srcs, a)
				}
			}
			if len(srcs) < 2 {
				problems = append(problems, fmt.Sprintf("Dockerfile:%d: COPY %s: cannot tell what it copies", in.Line, in.Args))
				continue
			}
			srcs = srcs[:len(srcs)-1]
			for _, s := range srcs {
				switch {
				case path.Base(s) == "fixproof" && strings.Contains(in.Args, "--from="):
					binaries++
				case scratch && strings.Contains(s, "ca-certificates"):
				default:
					problems = append(problems, fmt.Sprintf("Dockerfile:%d: COPY of %s into the final stage: only the fixproof binary built in an earlier stage%s may be copied", in.Line, s, map[bool]string{true: " (and CA certificates)", false: ""}[scratch]))
				}
			}
		}
	}
	if binaries != 1 {
		problems = append(problems, fmt.Sprintf("Dockerfile: the final stage copies the fixproof binary %d times, want once", binaries))
	}
	return problems
}

func TestDockerfileFinalStageIsOnlyTheBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkFinalStage(string(raw)) {
		t.Error(p)
	}
	if !strings.Contains(string(raw), `ENTRYPOINT ["/usr/local/bin/fixproof"]`) {
		t.Error(`Dockerfile: want ENTRYPOINT ["/usr/local/bin/fixproof"]: action.yml's args and the deployment examples' commands start with the subcommand`)
	}
}

// wantProblems checks a checker's problems against substrings, one a
// problem, in order.
func wantProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d matching %q", got, len(want), want)
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %q, want it to contain %q", got[i], want[i])
		}
	}
}

func TestCheckFinalStageReportsProblems(t *testing.T) {
	const build = "FROM golang:1.26 AS build\nRUN go build -o /out/fixproof ./cmd/fixproof\n"
	cases := []struct {
		name, src string
		want      []string // substrings of the problems, in order
	}{
		{"distroless", build + "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/fixproof /usr/local/bin/fixproof\nENTRYPOINT [\"/usr/local/bin/fixproof\"]\n", nil},
		{"scratch with certificates", build + "FROM scratch\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\nCOPY --from=build /out/fixproof /fixproof\n", nil},
		{"alpine", build + "FROM alpine:3\nCOPY --from=build /out/fixproof /fixproof\n", []string{"final stage FROM alpine:3"}},
		{"RUN in the final stage", build + "FROM gcr.io/distroless/static\nCOPY --from=build /out/fixproof /fixproof\nRUN \\\n  echo hi\n", []string{"RUN in the final stage"}},
		{"the source tree", build + "FROM gcr.io/distroless/static\nCOPY --from=build /out/fixproof /fixproof\nCOPY . /src\n", []string{"COPY of . into the final stage"}},
		{"certificates on distroless", build + "FROM gcr.io/distroless/static\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\nCOPY --from=build /out/fixproof /fixproof\n", []string{"COPY of /etc/ssl/certs/ca-certificates.crt"}},
		{"no binary", build + "FROM scratch\n", []string{"copies the fixproof binary 0 times"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblems(t, checkFinalStage(c.src), c.want)
		})
	}
}

// imageBuildTags are the build tags the image's binary must be built
// with: nodemo leaves the demo and its simulators out (cmd/fixproof's
// tests check that binary has no internal/sim symbol).
var imageBuildTags = []string{"nodemo"}

// shellWords splits a command line into words, keeping a quoted string
// ("..." or '...') as one word without its quotes, so that an -ldflags
// value is not read as flags of go build.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// checkBuildTags lists what is wrong with the Dockerfile's build of
// ./cmd/fixproof: there must be one go build of it, and its -tags must
// include every tag in want.
func checkBuildTags(src string, want []string) []string {
	var builds []instruction
	for _, in := range parseDockerfile(src) {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") && strings.Contains(in.Args, "./cmd/fixproof") {
			builds = append(builds, in)
		}
	}
	if len(builds) != 1 {
		return []string{fmt.Sprintf("Dockerfile: %d RUN lines go build ./cmd/fixproof, want one", len(builds))}
	}
	var tags []string
	words := shellWords(builds[0].Args)
	for i, w := range words {
		switch {
		case (w == "-tags" || w == "--tags") && i+1 < len(words):
			tags = append(tags, strings.Split(words[i+1], ",")...)
		case strings.HasPrefix(w, "-tags="), strings.HasPrefix(w, "--tags="):
			_, v, _ := strings.Cut(w, "=")
			tags = append(tags, strings.Split(v, ",")...)
		}
	}
	var problems []string
	for _, t := range want {
		if !slices.Contains(tags, t) {
			problems = append(problems, fmt.Sprintf("Dockerfile:%d: go build of ./cmd/fixproof lacks -tags %s (its tags: %q)", builds[0].Line, t, tags))
		}
	}
	return problems
}

func TestDockerfileBuildsWithoutTheDemo(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkBuildTags(string(raw), imageBuildTags) {
		t.Error(p)
	}
}

func TestCheckBuildTagsReportsProblems(t *testing.T) {
	const from = "FROM golang:1.26 AS build\n"
	cases := []struct {
		name, src string
		want      []string // substrings of the problems, in order
	}{
		{"tagged", from + `RUN CGO_ENABLED=0 go build -trimpath -tags nodemo -ldflags "-s -w" -o /out/fixproof ./cmd/fixproof` + "\n", nil},
		{"tags=, several", from + "RUN go build -tags=netgo,nodemo -o /out/fixproof ./cmd/fixproof\n", nil},
		{"continued line", from + "RUN go build \\\n  -tags nodemo \\\n  -o /out/fixproof ./cmd/fixproof\n", nil},
		{"untagged", from + `RUN go build -trimpath -ldflags "-s -w" -o /out/fixproof ./cmd/fixproof` + "\n", []string{"Dockerfile:2: go build of ./cmd/fixproof lacks -tags nodemo"}},
		{"another tag", from + "RUN go build -tags netgo -o /out/fixproof ./cmd/fixproof\n", []string{"lacks -tags nodemo"}},
		{"only inside -ldflags", from + `RUN go build -ldflags "-X main.x=1 -tags nodemo -w" -o /out/fixproof ./cmd/fixproof` + "\n", []string{"lacks -tags nodemo"}},
		{"a comment is not a build", from + "# go build -tags nodemo ./cmd/fixproof\nRUN go build -o /out/fixproof ./cmd/fixproof\n", []string{"lacks -tags nodemo"}},
		{"no build", from + "RUN go mod download\n", []string{"0 RUN lines go build ./cmd/fixproof"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblems(t, checkBuildTags(c.src, imageBuildTags), c.want)
		})
	}
}

// ---- .ci/run ---------------------------------------------------------

// checkCIScript lists what is wrong with .ci/run's lint: it must run
// staticcheck at a pinned version (go run ...@vX.Y.Z, which a machine with
// only Go can fetch, and which does not change under it) on the whole
// tree, before go test.
func checkCIScript(src string) []string {
	pinned := regexp.MustCompile(`^go run( -[^ ]+)* honnef\.co/go/tools/cmd/staticcheck@v\d+\.\d+\.\d+ \./\.\.\.$`)
	lint, test := -1, -1
	var problems []string
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.Contains(line, "staticcheck") && !strings.HasPrefix(line, "echo "):
			if !pinned.MatchString(line) {
				problems = append(problems, fmt.Sprintf(".ci/run:%d: %q: want go run honnef.co/go/tools/cmd/staticcheck@vX.Y.Z ./...", i+1, line))
			}
			if lint < 0 {
				lint = i
			}
		case strings.HasPrefix(line, "go test ") && test < 0:
			test = i
		}
	}
	switch {
	case lint < 0:
		problems = append(problems, ".ci/run does not run staticcheck")
	case test < 0:
		problems = append(problems, ".ci/run does not run go test")
	case lint > test:
		problems = append(problems, fmt.Sprintf(".ci/run:%d runs staticcheck after go test (line %d): lint first, it is quicker", lint+1, test+1))
	}
	return problems
}

func TestCIRunsStaticcheckBeforeTheTests(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkCIScript(string(raw)) {
		t.Error(p)
	}
}

func TestCheckCIScriptReportsProblems(t *testing.T) {
	const vet, test = "go vet ./...\n", "go test ./...\n"
	cases := []struct {
		name, src string
		want      []string // substrings of the problems, in order
	}{
		{"pinned, before the tests", vet + "echo \"== staticcheck\"\n# staticcheck@latest would move\ngo run -race=false honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...\n" + test, nil},
		{"latest", vet + "go run honnef.co/go/tools/cmd/staticcheck@latest ./...\n" + test, []string{"want go run honnef.co/go/tools/cmd/staticcheck@vX.Y.Z ./..."}},
		{"installed", vet + "staticcheck ./...\n" + test, []string{"want go run"}},
		{"part of the tree", vet + "go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./cmd/...\n" + test, []string{"want go run"}},
		{"after the tests", vet + test + "go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...\n", []string{"runs staticcheck after go test"}},
		{"only in a comment", vet + "# go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...\n" + test, []string{"does not run staticcheck"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblems(t, checkCIScript(c.src), c.want)
		})
	}
}

// ---- deployment examples ---------------------------------------------

// botEnv is every variable the bot reads: FIXPROOF_CONFIG, FIXPROOF_LOG_LEVEL
// and FIXPROOF_<KEY PATH> for each scalar key of botconfig.Config, as
// botconfig.Load maps them.
func botEnv() map[string]bool {
	env := map[string]bool{"FIXPROOF_CONFIG": true, "FIXPROOF_LOG_LEVEL": true}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
				walk(f.Type, name)
				continue
			}
			env[name] = true
		}
	}
	walk(reflect.TypeOf(botconfig.Config{}), "FIXPROOF")
	return env
}

// fakeSecrets stands in for the secrets the examples take from the
// environment, so that their config files can be loaded as the bot would.
var fakeSecrets = map[string]string{
	"FIXPROOF_STORE":                "postgres://fixproof:secret@db:5432/fixproof?sslmode=disable",
	"FIXPROOF_JIRA_API_TOKEN":       "jira-token",
	"FIXPROOF_SENTRY_CLIENT_SECRET": "sentry-secret",
}

// loadBotConfig loads a config as `fixproof bot --config` does, with the
// fake secrets in the environment: unknown keys and invalid values fail.
func loadBotConfig(t *testing.T, name, text string) botconfig.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fixproof.yml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := botconfig.Load(p, func(k string) string { return fakeSecrets[k] })
	if err != nil {
		t.Errorf("%s does not load as the bot's config: %v", name, err)
	}
	return cfg
}

func listenPort(t *testing.T, listen string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatalf("listen %q: %v", listen, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("listen %q: port %q", listen, port)
	}
	return n
}

func TestDeployConfigLoads(t *testing.T) {
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "examples/deploy/fixproof.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadBotConfig(t, "examples/deploy/fixproof.yml", string(raw))
	if got, want := listenPort(t, cfg.Listen), listenPort(t, botconfig.Default().Listen); got != want {
		t.Errorf("examples/deploy/fixproof.yml listens on %d, the bot's default and the examples' port is %d", got, want)
	}
}

func TestDockerCompose(t *testing.T) {
	_, docs := loadAll(t)
	const f = "examples/deploy/docker-compose.yml"
	if len(docs[f]) == 0 {
		t.Fatalf("%s: missing", f)
	}
	services, _ := docs[f][0].Data["services"].(map[string]any)
	bot, _ := services["bot"].(map[string]any)
	if bot == nil {
		t.Fatalf("%s: no services.bot", f)
	}
	if img := bot["image"]; img != "ghcr.io/fixproof/fixproof:v1" {
		t.Errorf("%s: bot image %v, want ghcr.io/fixproof/fixproof:v1", f, img)
	}
	cmd := toStrings(bot["command"])
	if len(cmd) != 3 || cmd[0] != "bot" || cmd[1] != "--config" {
		t.Fatalf("%s: bot command %q, want [bot --config FILE]", f, cmd)
	}
	mounted := false
	for _, v := range toStrings(bot["volumes"]) {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == cmd[2] && parts[0] == "./fixproof.yml" {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("%s: --config %s is not ./fixproof.yml mounted by volumes %q", f, cmd[2], bot["volumes"])
	}
	env, _ := bot["environment"].(map[string]any)
	known := botEnv()
	for _, k := range sortedKeys(env) {
		if strings.HasPrefix(k, "FIXPROOF_") && !known[strings.TrimSuffix(k, "_FILE")] {
			t.Errorf("%s: environment %s: the bot reads no such variable", f, k)
		}
	}
	if s, _ := env["FIXPROOF_STORE"].(string); !strings.HasPrefix(s, "postgres://") {
		t.Errorf("%s: FIXPROOF_STORE = %q, want the postgres service", f, s)
	}
	if _, ok := services["db"]; !ok {
		t.Errorf("%s: no services.db (Postgres)", f)
	}
	want := listenPort(t, botconfig.Default().Listen)
	ports := toStrings(bot["ports"])
	if len(ports) == 0 || !strings.HasSuffix(ports[0], ":"+strconv.Itoa(want)) {
		t.Errorf("%s: bot ports %q, want the container port %d (the bot's listen)", f, ports, want)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// get walks a path of map keys.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestKubernetesManifest(t *testing.T) {
	_, docs := loadAll(t)
	const f = "examples/deploy/kubernetes.yaml"
	kinds := map[string]document{}
	for _, d := range docs[f] {
		kind, _ := d.Data["kind"].(string)
		if _, dup := kinds[kind]; dup {
			t.Errorf("%s: two %s documents", f, kind)
		}
		kinds[kind] = d
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap"} {
		if _, ok := kinds[k]; !ok {
			t.Fatalf("%s: no %s", f, k)
		}
	}
	dep := kinds["Deployment"].Data

	// The bot's config, from the ConfigMap, loads; its port is the one
	// the container, the probes and the Service use.
	cmData, _ := get(kinds["ConfigMap"].Data, "data").(map[string]any)
	cfgText, _ := cmData["fixproof.yml"].(string)
	if cfgText == "" {
		t.Fatalf("%s: the ConfigMap has no fixproof.yml", f)
	}
	cfg := loadBotConfig(t, f+" ConfigMap fixproof.yml", cfgText)
	port := listenPort(t, cfg.Listen)
	if def := listenPort(t, botconfig.Default().Listen); port != def {
		t.Errorf("%s: the ConfigMap's listen port %d differs from the bot's default %d", f, port, def)
	}

	containers, _ := get(dep, "spec", "template", "spec", "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", f, len(containers))
	}
	c := containers[0]
	named := map[string]int{}
	var ports []int
	for _, p := range get(c, "ports").([]any) {
		n, _ := get(p, "containerPort").(int)
		ports = append(ports, n)
		if name, ok := get(p, "name").(string); ok {
			named[name] = n
		}
	}
	if !slices.Contains(ports, port) {
		t.Errorf("%s: containerPorts %v do not include the bot's listen port %d", f, ports, port)
	}
	resolve := func(v any) int {
		switch v := v.(type) {
		case int:
			return v
		case string:
			return named[v]
		}
		return 0
	}
	probes := []struct{ probe, path string }{{"livenessProbe", "/healthz"}, {"readinessProbe", "/readyz"}}
	for _, p := range probes {
		if got := get(c, p.probe, "httpGet", "path"); got != p.path {
			t.Errorf("%s: %s path %v, want %s", f, p.probe, got, p.path)
		}
		if got := resolve(get(c, p.probe, "httpGet", "port")); got != port {
			t.Errorf("%s: %s port %v (%d), want the bot's listen port %d", f, p.probe, get(c, p.probe, "httpGet", "port"), got, port)
		}
	}
	if got := resolve(get(kinds["Service"].Data, "spec", "ports").([]any)[0].(map[string]any)["targetPort"]); got != port {
		t.Errorf("%s: Service targetPort resolves to %d, want %d", f, got, port)
	}

	// The container runs the bot with the mounted config.
	args := toStrings(get(c, "args"))
	if len(args) != 3 || args[0] != "bot" || args[1] != "--config" {
		t.Fatalf("%s: args %q, want [bot --config FILE]", f, args)
	}
	mountedAt := ""
	for _, m := range get(c, "volumeMounts").([]any) {
		if get(m, "name") == "config" {
			mountedAt, _ = get(m, "mountPath").(string)
		}
	}
	if mountedAt == "" || path.Join(mountedAt, "fixproof.yml") != args[2] {
		t.Errorf("%s: --config %s is not the ConfigMap's fixproof.yml (mounted at %q)", f, args[2], mountedAt)
	}

	// Hardened, and several replicas share a Postgres store from a Secret.
	checks := []struct {
		what      string
		got, want any
	}{
		{"spec.replicas", get(dep, "spec", "replicas"), 2},
		{"pod securityContext.runAsNonRoot", get(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot"), true},
		{"container securityContext.readOnlyRootFilesystem", get(c, "securityContext", "readOnlyRootFilesystem"), true},
		{"container securityContext.allowPrivilegeEscalation", get(c, "securityContext", "allowPrivilegeEscalation"), false},
		{"container image", get(c, "image"), "ghcr.io/fixproof/fixproof:v1"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: %s = %#v, want %#v", f, ch.what, ch.got, ch.want)
		}
	}
	// The image sets no USER (root): runAsNonRoot needs a numeric user.
	if u, _ := get(dep, "spec", "template", "spec", "securityContext", "runAsUser").(int); u == 0 {
		if u, _ := get(c, "securityContext", "runAsUser").(int); u == 0 {
			t.Errorf("%s: no non-zero runAsUser: the image has no USER, so runAsNonRoot alone refuses to start it", f)
		}
	}
	known := botEnv()
	store := false
	for _, e := range get(c, "env").([]any) {
		name, _ := get(e, "name").(string)
		if strings.HasPrefix(name, "FIXPROOF_") && !known[strings.TrimSuffix(name, "_FILE")] {
			t.Errorf("%s: env %s: the bot reads no such variable", f, name)
		}
		if name == "FIXPROOF_STORE" && get(e, "valueFrom", "secretKeyRef", "name") != nil {
			store = true
		}
	}
	if !store {
		t.Errorf("%s: FIXPROOF_STORE does not come from a Secret: two replicas need a shared Postgres store", f)
	}
}

// triggeredBy reports whether a workflow runs on event.
func triggeredBy(d document, event string) bool {
	switch on := d.Data["on"].(type) {
	case string:
		return on == event
	case []any:
		for _, e := range on {
			if e == event {
				return true
			}
		}
	case map[string]any:
		_, ok := on[event]
		return ok
	}
	return false
}

// Pull requests from forks get no secrets, so a pull_request workflow that
// hands secrets to the action fails on every fork's pull request. Each one
// must copy the secrets into the job's env and run the action only when
// they are there (`if: env.X != ”`), with a step that says why it skipped.
func TestPullRequestWorkflowsSkipWithoutSecrets(t *testing.T) {
	_, docs := loadAll(t)
	checked := 0
	for _, f := range sortedKeys(docs) {
		for _, d := range docs[f] {
			if !isWorkflow(d) || !triggeredBy(d, "pull_request") || len(actionSteps(d)) == 0 {
				continue
			}
			for _, p := range forkProblems(d) {
				t.Errorf("%s: %s", f, p)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Errorf("checked %d pull_request workflows, want the example and the repository's own", checked)
	}
}

// forkProblems lists what would fail on a fork's pull request: an action
// step given a secret directly, or not guarded by a test of the env the
// job copies its secrets into, or a job with no step saying it skipped.
func forkProblems(d document) []string {
	var problems []string
	jobs, _ := d.Data["jobs"].(map[string]any)
	for _, name := range sortedKeys(jobs) {
		job, _ := jobs[name].(map[string]any)
		env, _ := job["env"].(map[string]any)
		steps, _ := job["steps"].([]any)
		notice := false
		for i, s := range steps {
			step, _ := s.(map[string]any)
			cond, _ := step["if"].(string)
			run, _ := step["run"].(string)
			if strings.Contains(cond, "== ''") && strings.Contains(run, "::notice::") {
				notice = true
			}
			if !usesThisAction(fmt.Sprint(step["uses"])) {
				continue
			}
			with, _ := yaml.Marshal(step["with"])
			if strings.Contains(string(with), "secrets.") {
				problems = append(problems, fmt.Sprintf("jobs.%s.steps[%d] gives the action a secret directly: copy it into the job's env and test it", name, i))
			}
			if !guardedByEnv(cond, env) {
				problems = append(problems, fmt.Sprintf("jobs.%s.steps[%d] runs without testing that the secrets are there (if: env.X != '')", name, i))
			}
		}
		if !notice {
			problems = append(problems, fmt.Sprintf("jobs.%s has no step that says, with a ::notice::, that fixproof was skipped for want of secrets", name))
		}
	}
	return problems
}

// guardedByEnv reports whether cond requires a job env variable that holds
// a secret to be non-empty.
func guardedByEnv(cond string, env map[string]any) bool {
	for k, v := range env {
		if strings.Contains(fmt.Sprint(v), "secrets.") && strings.Contains(cond, "env."+k+" != ''") {
			return true
		}
	}
	return false
}
