package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/storetest"
)

func openT(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, ":memory:") })
}

// openShared opens dsn beside its owner, as `fixproof bot redrive` does.
func openShared(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := OpenOptions(context.Background(), dsn, Options{Shared: true})
	if err != nil {
		t.Fatalf("OpenOptions(%q, Shared): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestFile runs the suite on owned files; its tests of several stores on
// one database open them shared, the way tools work beside the bot (one
// process owns a file: see TestASecondOwnerIsRefused).
func TestFile(t *testing.T) {
	storetest.RunWith(t,
		func(t *testing.T) store.Store { return openT(t, filepath.Join(t.TempDir(), "fixproof.db")) },
		storetest.Options{Reopen: func(t *testing.T) func(t *testing.T) store.Store {
			path := filepath.Join(t.TempDir(), "fixproof.db")
			n := 0
			return func(t *testing.T) store.Store {
				// Alternate the two spellings the config may give.
				n++
				if n%2 == 0 {
					return openShared(t, "file:"+path)
				}
				return openShared(t, path)
			}
		}})
}

// TestASecondOwnerIsRefused: one process owns a file; a second bot on it
// is refused with an error that says who holds it and what to do, while
// tools can still open it shared. Once the owner closes, another may own
// it.
func TestASecondOwnerIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	first := openT(t, path)
	for _, dsn := range []string{path, "file:" + path, "file://" + path + "?cache=private"} {
		s, err := Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) while another store owns the file succeeded", dsn)
		}
		if !errors.Is(err, ErrInUse) {
			t.Fatalf("Open(%q) = %v, want ErrInUse", dsn, err)
		}
		for _, want := range []string{path, "pid " + strconv.Itoa(os.Getpid()), "Postgres"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	tool := openShared(t, path)
	if _, _, err := tool.Enqueue(t.Context(), store.Delivery{Kind: "sentry", Fingerprint: "a", Received: time.Now()}); err != nil {
		t.Fatalf("a shared store beside the owner: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openT(t, path)
}

// TestAnOwnerReleasesTheLeasesOfTheLastOne: a store that ends without
// finishing its batches (a crash) leaves leases; the next owner frees them
// at once, fingerprint leases and named leases alike. A shared store does
// not: the owner may be working.
func TestAnOwnerReleasesTheLeasesOfTheLastOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	s := openT(t, path)
	if _, _, err := s.Enqueue(t.Context(), store.Delivery{Kind: "sentry", Fingerprint: "a", Received: now}); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Next(t.Context(), "dead-bot/0", now, time.Hour, 10); err != nil || b == nil {
		t.Fatalf("Next = %v, %v", b, err)
	}
	if ok, err := s.TryLease(t.Context(), "poll:guance", "dead-bot", now, now.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("TryLease = %v, %v", ok, err)
	}
	s.Close() // without finishing: as good as killed

	shared := openShared(t, path)
	if b, err := shared.Next(t.Context(), "tool", now, time.Minute, 10); err != nil || b != nil {
		t.Fatalf("a shared store took the dead owner's fingerprint: %v, %v", b, err)
	}
	shared.Close()

	s = openT(t, path)
	b, err := s.Next(t.Context(), "new-bot/0", now, time.Minute, 10)
	if err != nil || b == nil || b.Record.Fingerprint != "a" {
		t.Fatalf("Next after a restart = %+v, %v; want fingerprint a at once", b, err)
	}
	if ok, err := s.TryLease(t.Context(), "poll:guance", "new-bot", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("TryLease after a restart = %v, %v; want the named lease free", ok, err)
	}
}

// TestAKilledOwnersJobsResumeAtOnce runs a child process that leases a
// fingerprint for an hour and is killed with SIGKILL while holding it: the
// operating system drops its ownership lock, and the next owner gets the
// fingerprint's jobs at once.
func TestAKilledOwnersJobsResumeAtOnce(t *testing.T) {
	if path := os.Getenv("FIXPROOF_SQLITE_LEASE_CHILD"); path != "" {
		leaseAndHang(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "fixproof.db")
	cmd, sc := startChild(t, "TestAKilledOwnersJobsResumeAtOnce", "FIXPROOF_SQLITE_LEASE_CHILD="+path)
	if !sc.Scan() || sc.Text() != "leased" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, want leased", sc.Text())
	}
	if _, err := Open(t.Context(), path); !errors.Is(err, ErrInUse) {
		t.Errorf("Open while the child owns the file = %v, want ErrInUse", err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	s := openT(t, path)
	b, err := s.Next(t.Context(), "restarted", time.Now(), time.Minute, 10)
	if err != nil || b == nil || len(b.Jobs) != 3 {
		t.Fatalf("Next after the kill = %+v, %v; want the 3 jobs the dead process held, at once", b, err)
	}
}

// startChild runs this test binary's test name in a child process with env
// added, and returns it with a scanner of its standard output.
func startChild(t *testing.T, name, env string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

func leaseAndHang(path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for range 3 {
		if _, _, err := s.Enqueue(context.Background(), store.Delivery{Kind: "sentry", Fingerprint: "a", Payload: []byte("x"), Received: time.Now()}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if b, err := s.Next(context.Background(), "child", time.Now(), time.Hour, 10); err != nil || b == nil {
		fmt.Fprintln(os.Stderr, "next:", b, err)
		os.Exit(1)
	}
	fmt.Println("leased")
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(2)
}

// TestMigrationsApplyOnce opens the same new file from several stores at
// once (a bot and tools starting together) and again later.
func TestMigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := OpenOptions(t.Context(), path, Options{Shared: true})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	openT(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, distinct, max int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations").Scan(&n, &distinct, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || distinct != n || max != len(migrations) {
		t.Fatalf("schema_migrations holds %d rows (%d versions, max %d), want each of %d once", n, distinct, max, len(migrations))
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestKill9LosesNothingAcknowledged runs a child process that enqueues from
// many goroutines and prints each id Enqueue returned, kills it with
// SIGKILL mid-stream and checks that every printed id is in the database.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if path := os.Getenv("FIXPROOF_SQLITE_KILL_CHILD"); path != "" {
		enqueueForever(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "fixproof.db")
	cmd, sc := startChild(t, "TestKill9LosesNothingAcknowledged", "FIXPROOF_SQLITE_KILL_CHILD="+path)
	acked := map[int64]bool{}
	killed := false
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked[n] = true
		if len(acked) == 2000 && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed, after %d enqueues", len(acked))
	}

	s := openT(t, path)
	st, err := s.Stats(t.Context(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	found := map[int64]bool{}
	for {
		b, err := s.Next(t.Context(), "checker", time.Now().Add(time.Hour), time.Minute, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		for _, j := range b.Jobs {
			found[j.ID] = true
		}
		if err := s.Finish(t.Context(), b, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	for id := range acked {
		if !found[id] {
			t.Fatalf("job %d was acknowledged before the kill and is gone (%d acknowledged, %d in the database)", id, len(acked), len(found))
		}
	}
	t.Logf("%d enqueues acknowledged before SIGKILL, %d jobs in the database (%d ready)", len(acked), len(found), st.Ready)
}

func enqueueForever(path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	for g := range 32 {
		go func() {
			for i := 0; ; i++ {
				id, _, err := s.Enqueue(context.Background(), store.Delivery{
					Kind: "sentry", Fingerprint: fmt.Sprintf("fp-%d", (g*7+i)%100), Payload: []byte("x"), Received: time.Now(),
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(w, "acked %d\n", id)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(2)
}

func benchStore(b *testing.B) *Store {
	return openT(b, filepath.Join(b.TempDir(), "bench.db"))
}

// BenchmarkEnqueueParallel: go test -run '^$' -bench EnqueueParallel -cpu 2 ./internal/store/sqlite
func BenchmarkEnqueueParallel(b *testing.B) {
	storetest.EnqueueParallel(b, benchStore(b))
}

// BenchmarkEnqueueAt2000PerSecond is the bot's target load: 2,000
// webhooks a second, each from its own goroutine.
func BenchmarkEnqueueAt2000PerSecond(b *testing.B) {
	storetest.EnqueueAtRate(b, benchStore(b), 2000)
}

// TestMarkSeenPurgesOldIDs checks that the ids MarkSeen may forget leave
// the table: at most purgeMax a purge, at most one purge a minute.
func TestMarkSeenPurgesOldIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	s := openT(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM seen").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mark := func(id string, now time.Time, keep time.Duration) {
		t.Helper()
		if first, err := s.MarkSeen(t.Context(), id, now, keep); err != nil || !first {
			t.Fatalf("MarkSeen(%s) = %v, %v; want first", id, first, err)
		}
	}
	t0 := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	old := purgeMax + purgeMax/2
	for i := range old {
		mark(fmt.Sprintf("old-%d", i), t0, time.Hour)
	}
	if n := stored(); n != old {
		t.Fatalf("%d ids stored, want %d", n, old)
	}
	later := t0.Add(2 * time.Hour)
	mark("new-1", later, time.Hour) // purges purgeMax
	if n := stored(); n != old-purgeMax+1 {
		t.Fatalf("after one purge %d ids stored, want %d", n, old-purgeMax+1)
	}
	mark("new-2", later, time.Hour) // a full purge left some: purges the rest
	if n := stored(); n != 2 {
		t.Fatalf("after the second purge %d ids stored, want the 2 new ones", n)
	}
	// Within the minute no purge runs, even with ids to forget.
	mark("new-3", later.Add(30*time.Second), time.Second)
	if n := stored(); n != 3 {
		t.Fatalf("%d ids stored, want 3: no purge within a minute of the last", n)
	}
	mark("new-4", later.Add(purgeEvery), time.Second)
	if n := stored(); n != 1 {
		t.Fatalf("%d ids stored, want only the newest after a purge a minute on", n)
	}
}
