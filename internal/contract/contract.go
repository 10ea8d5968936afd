// Package contract loads the vendors' published API contracts and validates
// traffic against them, for tests.
//
// The contracts (GitHub's GraphQL schema, Atlassian's Jira REST OpenAPI
// document, ...) are not part of the project: they live in a shared
// directory outside it (see Dir) and are read at test time. When they are
// absent, every loader skips the calling test instead of failing it.
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
	"os"
	"path/filepath"
	"testing"
)

// EnvDir is the environment variable that overrides where the contracts
// are looked for.
const EnvDir = "FIXPROOF_CONTRACTS"

// marker is the file that identifies a contracts directory.
const marker = "SOURCES.md"

// skipMessage is what a test is skipped with when the contracts are absent.
const skipMessage = "vendor contracts not found: set " + EnvDir +
	" or put them at ../shared/contracts; skipping contract validation"

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

// Require returns Dir, or skips the test (t.Skip) with a message saying how
// to provide the contracts when they are absent.
func Require(t testing.TB) string {
	t.Helper()
	dir, ok := Dir()
	if !ok {
		t.Skip(skipMessage)
	}
	return dir
}

// requireFile returns the path of the contract file rel (slash-separated,
// relative to Dir), skipping the test when the contracts or that file are
// absent.
func requireFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Require(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("vendor contract %s not found (%v); skipping contract validation", rel, err)
	}
	return p
}
