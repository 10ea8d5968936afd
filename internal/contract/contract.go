// Package contract loads the vendors' published API contracts and validates
// traffic against them, for tests.
//
// The contracts (GitHub's GraphQL schema, Atlassian's Jira REST OpenAPI
// document, ...) are not part of the project: they live in a shared
// directory outside it (see Dir) and are read at test time. When they are
// absent, every loader skips the calling test, saying where they are
// expected; in CI (CI=true) it fails the test instead, so that a CI run
// never passes without them (see Missing).
//
// The package is imported only by _test.go files of other packages. Its
// usual use is as a client transport wrapper in tests, so that everything
// the real client sends and everything the simulated server answers is
// checked against the vendor's contract:
//
//	spec := contract.JiraSpec(t)
//	jira := &http.Client{Transport: spec.Transport(t, nil)}
//
//	gh := contract.GraphQLTransport(t, contract.GitHubSchema(t), nil)
//	github := &http.Client{Transport: gh} // later: len(gh.Queries())
//
// Violations are reported with t.Errorf; the traffic itself is never
// altered, so a test shows every problem at once.
package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// EnvDir is the environment variable that overrides where the contracts
// are looked for.
const EnvDir = "FIXPROOF_CONTRACTS"

// marker is the file that identifies a contracts directory.
const marker = "SOURCES.md"

// Dir returns the contracts directory: $FIXPROOF_CONTRACTS if set, else the
// first directory named shared/contracts found by walking up from the
// working directory (tests run in package directories, and the contracts
// sit at ../shared/contracts relative to the project root, so some ancestor
// of the working directory has them as its child shared/contracts).
// A directory counts only if it contains SOURCES.md; ok is false when no
// such directory exists. The result is not cached, so tests may change the
// environment variable with t.Setenv.
func Dir() (dir string, ok bool) {
	if env := os.Getenv(EnvDir); env != "" {
		abs, err := filepath.Abs(env)
		if err != nil {
			return "", false
		}
		return abs, isContractsDir(abs)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		// Checking <d>/shared/contracts at every level also covers
		// <d>/../shared/contracts, one level up.
		if c := filepath.Join(d, "shared", "contracts"); isContractsDir(c) {
			return c, true
		}
		if parent := filepath.Dir(d); parent == d {
			return "", false
		}
	}
}

func isContractsDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, marker))
	return err == nil && fi.Mode().IsRegular()
}

// Require returns Dir, or reports the contracts missing (see Missing) when
// they are absent.
func Require(t testing.TB) string {
	t.Helper()
	dir, ok := Dir()
	if !ok {
		Missing(t, "the contracts directory")
	}
	return dir
}

// RequireFile returns the path of the contract file rel (slash-separated,
// relative to Dir), reporting the contracts missing (see Missing) when
// the directory or that file is absent.
func RequireFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Require(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		Missing(t, rel)
	}
	return p
}

// Available is Dir for tests that validate against the contracts when
// they are there and still run without them: ok is false locally when the
// contracts are absent (the test logs that its traffic goes unchecked).
// In CI, absent contracts fail the test, as with Require.
func Available(t testing.TB) (dir string, ok bool) {
	t.Helper()
	if dir, ok = Dir(); ok {
		return dir, true
	}
	if inCI(os.Getenv) {
		Missing(t, "the contracts directory")
	}
	t.Logf("%s; running without contract validation", whereExpected(os.Getenv))
	return "", false
}

// EnvCI is the environment variable CI services set ("true" on GitHub
// Actions, GitLab CI, CircleCI, Travis, Buildkite, ...).
const EnvCI = "CI"

// Missing reports that a contract the test needs (what: a file relative to
// Dir, or a description) is absent. In CI ($CI set to true, or any value
// strconv.ParseBool reads as true) it fails the test, so that a run
// without the contracts cannot pass green; elsewhere it skips the test.
// Either way the message says where the contracts are expected. It does
// not return.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := fmt.Sprintf("vendor contracts: %s not found; %s", what, whereExpected(os.Getenv))
	if inCI(os.Getenv) {
		t.Fatalf("%s (%s is set, so missing contracts fail the run instead of skipping)", msg, EnvCI)
	}
	t.Skipf("%s; skipping (with %s=true, as in CI, this fails)", msg, EnvCI)
}

// inCI reports whether getenv says the tests run in CI.
func inCI(getenv func(string) string) bool {
	ci, err := strconv.ParseBool(strings.TrimSpace(getenv(EnvCI)))
	return err == nil && ci
}

// whereExpected says where the contracts are looked for: $FIXPROOF_CONTRACTS
// when set, else ../shared/contracts relative to the project root (the
// directory holding go.mod, found by walking up from the working
// directory).
func whereExpected(getenv func(string) string) string {
	shared := "../shared/contracts relative to the project root"
	if root, ok := projectRoot(); ok {
		shared += " (" + filepath.Join(filepath.Dir(root), "shared", "contracts") + ")"
	}
	if env := getenv(EnvDir); env != "" {
		return fmt.Sprintf("$%s is %s, which holds no %s: point it at the shared vendor contracts, or unset it to use %s", EnvDir, env, marker, shared)
	}
	return fmt.Sprintf("they are expected at $%s or at %s, a directory holding %s", EnvDir, shared, marker)
}

// projectRoot is the nearest directory at or above the working directory
// that holds go.mod.
func projectRoot() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && fi.Mode().IsRegular() {
			return d, true
		}
		if parent := filepath.Dir(d); parent == d {
			return "", false
		}
	}
}
