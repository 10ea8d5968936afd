package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/storetest"
)

// testURL is the database the tests use, or they skip.
func testURL(t testing.TB) string {
	url := os.Getenv("FIXPROOF_TEST_POSTGRES")
	if url == "" {
		t.Skip("FIXPROOF_TEST_POSTGRES not set: skipping the Postgres store suite")
	}
	return url
}

// newSchema names a fresh schema (Open creates it) and drops it when the
// test ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "fixproof_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func openT(t testing.TB, url, schema string) *Store {
	t.Helper()
	s, err := OpenOptions(context.Background(), url, Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	url := testURL(t)
	storetest.RunWith(t,
		func(t *testing.T) store.Store { return openT(t, url, newSchema(t, url)) },
		storetest.Options{Reopen: func(t *testing.T) func(t *testing.T) store.Store {
			schema := newSchema(t, url)
			return func(t *testing.T) store.Store { return openT(t, url, schema) }
		}})
}

// TestMigrationsApplyOnce has several replicas start at once on a new
// schema, and one more later.
func TestMigrationsApplyOnce(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			s, err := OpenOptions(t.Context(), url, Options{Schema: schema})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	s := openT(t, url, schema)
	var n, distinct, max int
	if err := s.pool.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations").Scan(&n, &distinct, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || distinct != n || max != len(migrations) {
		t.Fatalf("schema_migrations holds %d rows (%d versions, max %d), want each of %d once", n, distinct, max, len(migrations))
	}
}

// TestSchemaQueryParameter: "?schema=" on the URL picks the schema and is
// not sent to the server.
func TestSchemaQueryParameter(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := Open(t.Context(), url+sep+"schema="+schema)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	var got string
	if err := s.pool.QueryRow(t.Context(), "SELECT table_schema FROM information_schema.tables WHERE table_name = 'jobs' AND table_schema = $1", schema).Scan(&got); err != nil {
		t.Fatalf("jobs table not in schema %s: %v", schema, err)
	}
}

// BenchmarkEnqueueParallel: FIXPROOF_TEST_POSTGRES=... go test -run '^$' -bench EnqueueParallel -cpu 2 ./internal/store/postgres
func BenchmarkEnqueueParallel(b *testing.B) {
	url := testURL(b)
	storetest.EnqueueParallel(b, openT(b, url, newSchema(b, url)))
}

// BenchmarkEnqueueAt2000PerSecond is the bot's target load.
func BenchmarkEnqueueAt2000PerSecond(b *testing.B) {
	url := testURL(b)
	storetest.EnqueueAtRate(b, openT(b, url, newSchema(b, url)), 2000)
}

// TestMarkSeenPurgesOldIDs checks that the ids MarkSeen may forget leave
// the table: at most purgeMax a purge, at most one purge a minute.
func TestMarkSeenPurgesOldIDs(t *testing.T) {
	url := testURL(t)
	s := openT(t, url, newSchema(t, url))
	stored := func() int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(t.Context(), "SELECT count(*) FROM seen").Scan(&n); err != nil {
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
