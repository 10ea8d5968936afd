package contract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// endRecorder is a testing.TB that records how a loader ended the test:
// Fatal*, Skip* and FailNow stop the goroutine as the testing package
// does. Methods it does not define panic (the embedded TB is nil), so a
// loader calling something unexpected is noticed.
type endRecorder struct {
	testing.TB
	failed, skipped bool
	msg             string
	logs            []string
}

func (r *endRecorder) Helper()        {}
func (r *endRecorder) Name() string   { return "recorder" }
func (r *endRecorder) Cleanup(func()) {}
func (r *endRecorder) Failed() bool   { return r.failed }
func (r *endRecorder) Skipped() bool  { return r.skipped }
func (r *endRecorder) Logf(f string, a ...any) {
	r.logs = append(r.logs, fmt.Sprintf(f, a...))
}
func (r *endRecorder) Errorf(f string, a ...any) { r.failed = true; r.msg = fmt.Sprintf(f, a...) }
func (r *endRecorder) Fatal(a ...any)            { r.failed = true; r.msg = fmt.Sprint(a...); runtime.Goexit() }
func (r *endRecorder) Fatalf(f string, a ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *endRecorder) Skip(a ...any) { r.skipped = true; r.msg = fmt.Sprint(a...); runtime.Goexit() }
func (r *endRecorder) Skipf(f string, a ...any) {
	r.skipped = true
	r.msg = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

// record runs fn with a recorder, in its own goroutine so that Goexit
// ends only fn.
func record(fn func(testing.TB)) *endRecorder {
	r := &endRecorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// loaders are every way a test asks for the contracts.
var loaders = map[string]func(testing.TB){
	"Require":      func(t testing.TB) { Require(t) },
	"RequireFile":  func(t testing.TB) { RequireFile(t, "github/schema.graphql") },
	"Available":    func(t testing.TB) { Available(t) },
	"GitHubSchema": func(t testing.TB) { GitHubSchema(t) },
	"JiraSpec":     func(t testing.TB) { JiraSpec(t) },
	"SentrySpec":   func(t testing.TB) { SentrySpec(t) },
}

func TestMissingContractsFailInCIAndSkipElsewhere(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(EnvDir, empty)
	for _, ci := range []string{"true", "1", "TRUE"} {
		t.Setenv(EnvCI, ci)
		for name, load := range loaders {
			r := record(load)
			if !r.failed || r.skipped {
				t.Errorf("CI=%s, %s: failed %v, skipped %v; want a failure", ci, name, r.failed, r.skipped)
			}
			for _, want := range []string{"$" + EnvDir + " is " + empty, "CI is set, so missing contracts fail the run"} {
				if !strings.Contains(r.msg, want) {
					t.Errorf("CI=%s, %s: message %q does not say %q", ci, name, r.msg, want)
				}
			}
		}
	}
	for _, ci := range []string{"", "false", "0"} {
		t.Setenv(EnvCI, ci)
		for name, load := range loaders {
			r := record(load)
			if name == "Available" {
				// Available lets the test run on, unchecked, and says so.
				if r.failed || r.skipped || len(r.logs) != 1 || !strings.Contains(r.logs[0], "without contract validation") {
					t.Errorf("CI=%q, Available: failed %v, skipped %v, logs %q", ci, r.failed, r.skipped, r.logs)
				}
				continue
			}
			if !r.skipped || r.failed {
				t.Errorf("CI=%q, %s: failed %v, skipped %v; want a skip", ci, name, r.failed, r.skipped)
			}
			if !strings.Contains(r.msg, "$"+EnvDir+" is "+empty) || !strings.Contains(r.msg, "skipping") {
				t.Errorf("CI=%q, %s: message %q", ci, name, r.msg)
			}
		}
	}
}

func TestMissingContractsMessageNamesTheSharedDirectory(t *testing.T) {
	root := t.TempDir()
	project := filepath.Join(root, "fixproof")
	pkg := filepath.Join(project, "internal", "thing")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(pkg)
	t.Setenv(EnvDir, "")
	t.Setenv(EnvCI, "true")
	r := record(func(t testing.TB) { Require(t) })
	want := filepath.Join(root, "shared", "contracts")
	if !r.failed || !strings.Contains(r.msg, "../shared/contracts relative to the project root ("+want+")") ||
		!strings.Contains(r.msg, "$"+EnvDir) {
		t.Errorf("failed %v, message %q; want it to name $%s and %s", r.failed, r.msg, EnvDir, want)
	}
}

// TestCIRunWithoutContractsFails runs this package's own loader test in a
// child process, as `go test` would in CI, with the contracts pointed at
// an empty directory: with CI=true the run fails, naming where the
// contracts are expected; without it the run passes, skipping.
func TestCIRunWithoutContractsFails(t *testing.T) {
	if os.Getenv("FIXPROOF_CONTRACT_CHILD") != "" {
		t.Skip("already the child")
	}
	run := func(ci string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildNeedsTheContracts$", "-test.v")
		cmd.Env = append(os.Environ(), EnvDir+"="+t.TempDir(), EnvCI+"="+ci, "FIXPROOF_CONTRACT_CHILD=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("true")
	if err == nil || !strings.Contains(out, "--- FAIL: TestChildNeedsTheContracts") ||
		!strings.Contains(out, "vendor contracts: the contracts directory not found") {
		t.Errorf("CI=true: err %v, output:\n%s", err, out)
	}
	out, err = run("")
	if err != nil || !strings.Contains(out, "--- SKIP: TestChildNeedsTheContracts") {
		t.Errorf("CI unset: err %v, output:\n%s", err, out)
	}
}

// TestChildNeedsTheContracts is TestCIRunWithoutContractsFails's child.
func TestChildNeedsTheContracts(t *testing.T) {
	if os.Getenv("FIXPROOF_CONTRACT_CHILD") == "" {
		t.Skip("run by TestCIRunWithoutContractsFails")
	}
	Require(t)
}
