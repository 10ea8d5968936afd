package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// A sharedBuild is a fixproof binary the tests that run or inspect the
// real program share: built once per test run, not once per test (each
// build links the whole program, seconds of CPU on a busy machine).
type sharedBuild struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

var (
	// built is the binary as `go build` makes it.
	built sharedBuild
	// builtAsImage is the binary as the Dockerfile builds it (see
	// buildAsTheImage), unstripped so that go tool nm can read it.
	builtAsImage sharedBuild
	// buildDirs are removed when the tests end.
	buildDirs   []string
	buildDirsMu sync.Mutex
)

// TestMain removes the shared binaries when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range buildDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

// testBinary returns the path of the built binary, building it on first
// use; with -short it skips the test, which needs the real process.
func testBinary(t testing.TB) string {
	return built.get(t, func(path string) ([]byte, error) {
		return exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	})
}

// imageBinary returns the binary built as the image is, with version
// v1.4.0, building it on first use; with -short it skips the test.
func imageBinary(t testing.TB) string {
	return builtAsImage.get(t, func(path string) ([]byte, error) {
		return imageBuild(imageTags, "v1.4.0", false, path).CombinedOutput()
	})
}

func (b *sharedBuild) get(t testing.TB, build func(path string) ([]byte, error)) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "fixproof-test-bin-")
		if err != nil {
			b.err = err
			return
		}
		buildDirsMu.Lock()
		buildDirs = append(buildDirs, dir)
		buildDirsMu.Unlock()
		b.path = filepath.Join(dir, "fixproof")
		b.out, b.err = build(b.path)
	})
	if b.err != nil {
		t.Fatalf("build: %v\n%s", b.err, b.out)
	}
	return b.path
}
