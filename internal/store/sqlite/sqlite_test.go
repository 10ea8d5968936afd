package sqlite

import (
	"bufio"
	"context"
	"database/sql"
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
					return openT(t, "file:"+path)
				}
				return openT(t, path)
			}
		}})
}

// TestMigrationsApplyOnce opens the same new file from several stores at
// once (several processes starting together) and again later.
func TestMigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := Open(t.Context(), path)
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9LosesNothingAcknowledged$")
	cmd.Env = append(os.Environ(), "FIXPROOF_SQLITE_KILL_CHILD="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]bool{}
	sc := bufio.NewScanner(out)
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
