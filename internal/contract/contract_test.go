package contract

import (
	"os"
	"path/filepath"
	"testing"
)

// sameDir reports whether a and b name the same directory.
func sameDir(t *testing.T, a, b string) bool {
	t.Helper()
	ea, err1 := filepath.EvalSymlinks(a)
	eb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ea == eb
}

func mkContracts(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SOURCES.md"), []byte("# test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	mkContracts(t, dir)
	t.Setenv(EnvDir, dir)
	got, ok := Dir()
	if !ok || !sameDir(t, got, dir) {
		t.Errorf("Dir() = %q, %v; want %q, true", got, ok, dir)
	}

	t.Setenv(EnvDir, t.TempDir()) // no SOURCES.md
	if got, ok := Dir(); ok {
		t.Errorf("Dir() = %q, true for a directory without SOURCES.md", got)
	}
}

func TestDirWalksUp(t *testing.T) {
	root := t.TempDir()
	// The layout of the real tree: <root>/main is the project, the
	// contracts are at <root>/shared/contracts, tests run in packages.
	contracts := filepath.Join(root, "shared", "contracts")
	mkContracts(t, contracts)
	pkg := filepath.Join(root, "main", "internal", "thing")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, "")
	t.Chdir(pkg)
	got, ok := Dir()
	if !ok || !sameDir(t, got, contracts) {
		t.Errorf("Dir() = %q, %v; want %q, true", got, ok, contracts)
	}

	// Without SOURCES.md the directory does not count.
	if err := os.Remove(filepath.Join(contracts, "SOURCES.md")); err != nil {
		t.Fatal(err)
	}
	if got, ok := Dir(); ok && sameDir(t, got, contracts) {
		t.Errorf("Dir() = %q, true without SOURCES.md", got)
	}
}

// TestSkipWhenAbsent checks that, outside CI, every loader skips, not
// fails, when FIXPROOF_CONTRACTS points at an empty directory.
func TestSkipWhenAbsent(t *testing.T) {
	t.Setenv(EnvCI, "")
	t.Setenv(EnvDir, t.TempDir())
	for name, load := range map[string]func(testing.TB){
		"Require":      func(t testing.TB) { Require(t) },
		"GitHubSchema": func(t testing.TB) { GitHubSchema(t) },
		"JiraSpec":     func(t testing.TB) { JiraSpec(t) },
	} {
		var skipped bool
		t.Run(name, func(st *testing.T) {
			defer func() { skipped = st.Skipped() }()
			load(st)
			st.Errorf("%s did not skip with the contracts absent", name)
		})
		if !skipped {
			t.Errorf("%s: subtest was not skipped", name)
		}
	}
}

// TestSkipWhenFileAbsent checks that a contracts directory lacking a file
// skips the tests that need it.
func TestSkipWhenFileAbsent(t *testing.T) {
	t.Setenv(EnvCI, "")
	dir := t.TempDir()
	mkContracts(t, dir)
	t.Setenv(EnvDir, dir)
	var skipped bool
	t.Run("JiraSpec", func(st *testing.T) {
		defer func() { skipped = st.Skipped() }()
		if got := Require(st); !sameDir(t, got, dir) {
			st.Errorf("Require = %q, want %q", got, dir)
		}
		JiraSpec(st)
		st.Errorf("JiraSpec did not skip without the spec file")
	})
	if !skipped {
		t.Errorf("subtest was not skipped")
	}
}
