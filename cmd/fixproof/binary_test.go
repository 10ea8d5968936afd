package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built is the fixproof binary the tests that run the real process share:
// built once per test run, not once per test (each build links the whole
// program, seconds of CPU on a busy machine).
var built struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// TestMain removes the shared binary when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// testBinary returns the path of the built binary, building it on first
// use; with -short it skips the test, which needs the real process.
func testBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "fixproof-test-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "fixproof")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("build: %v\n%s", built.err, built.out)
	}
	return built.path
}
