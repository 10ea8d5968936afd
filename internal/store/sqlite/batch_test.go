package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

func queued(n int) (chan *op, []*op) {
	ch := make(chan *op, n)
	ops := make([]*op, n)
	for i := range ops {
		ops[i] = &op{}
		ch <- ops[i]
	}
	return ch, ops
}

func TestBatcherTakesWhatIsQueuedUpToMax(t *testing.T) {
	ch, ops := queued(3)
	close(ch)
	b := batcher{ops: ch, max: 2}
	for i, want := range [][]*op{ops[:2], ops[2:]} {
		got, ok := b.next()
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("batch %d = %d ops (ok %v), want %d", i, len(got), ok, len(want))
		}
	}
	if got, ok := b.next(); ok {
		t.Errorf("next after the channel closed and emptied = %d ops, ok", len(got))
	}
}

// A writer that lingers waits for the batch to fill (the wait here is
// far longer than the test), and stops lingering when the channel closes.
func TestBatcherLingersUntilTheBatchIsFull(t *testing.T) {
	ch := make(chan *op)
	b := batcher{ops: ch, max: 3, wait: time.Hour}
	ops := []*op{{}, {}, {}}
	go func() {
		for _, o := range ops {
			ch <- o
		}
	}()
	if got, ok := b.next(); !ok || !reflect.DeepEqual(got, ops) {
		t.Fatalf("batch = %d ops (ok %v), want all 3", len(got), ok)
	}
}

func TestBatcherStopsLingeringWhenTheChannelCloses(t *testing.T) {
	ch := make(chan *op)
	close(ch)
	first := &op{}
	b := batcher{ops: ch, max: 3, wait: time.Hour, batch: []*op{first}}
	done := make(chan struct{})
	go func() {
		b.linger()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // only a broken linger gets here
		t.Fatal("linger still waiting an hour for a closed channel")
	}
	if len(b.batch) != 1 || b.batch[0] != first {
		t.Errorf("batch = %d ops, want the one it had", len(b.batch))
	}
}

func TestWriterPragmas(t *testing.T) {
	const busy = "busy_timeout(5000)"
	if got, want := writerPragmas(busy, true), []string{busy, "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("in memory: %q, want %q", got, want)
	}
	if got, want := writerPragmas(busy, false), []string{busy, "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)", "journal_mode(WAL)", "wal_autocheckpoint(0)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("file: %q, want %q", got, want)
	}
}

// TestAFailedOperationLeavesTheRestOfItsBatch runs one batch whose middle
// operation writes and then fails: the batch runs without savepoints
// first, so the failure must roll that attempt back and run the batch
// again with one savepoint per operation. The others' writes are
// committed exactly once each, the failed one's not at all, and each
// caller gets its own answer.
func TestAFailedOperationLeavesTheRestOfItsBatch(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.submit(ctx, func(w *wtx) error {
		_, err := w.conn.ExecContext(ctx, `CREATE TABLE hits (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	hit := func(k string, fail bool) *op {
		return &op{ctx: ctx, done: make(chan error, 1), fn: func(w *wtx) error {
			if _, err := w.exec(`INSERT INTO hits (k, n) VALUES (?1, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1`, k); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		}}
	}
	batch := []*op{hit("a", false), hit("b", true), hit("c", false), hit("a", false)}
	// The writer goroutine waits for operations; nothing else is
	// submitted, so the test may drive the writer's connection itself.
	if !s.commit(batch) {
		t.Fatal("the batch was not committed")
	}
	for i, want := range []error{nil, boom, nil, nil} {
		if got := <-batch[i].done; !errors.Is(got, want) {
			t.Errorf("operation %d answered %v, want %v", i, got, want)
		}
	}
	got := map[string]int{}
	err = s.read(ctx, func(q querier) error {
		rows, err := q.query(`SELECT k, n FROM hits`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			got[k] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": 2, "c": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("committed %v, want %v", got, want)
	}
}

// TestTheWALStartsOverUnderSteadyWrites keeps 16 callers enqueueing
// without a pause and checks that the WAL file stays small: the writer
// checkpoints between its transactions (every CheckpointEvery, 10 ms
// here), so the next transaction writes the WAL from its beginning again.
// Without that the WAL grows with every commit (65 MiB for these 4,000
// jobs, measured), and so does the cost of each later checkpoint.
func TestTheWALStartsOverUnderSteadyWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := OpenOptions(ctx, path, Options{CheckpointEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				d := store.Delivery{Kind: "alert", Fingerprint: fmt.Sprintf("fp-%d-%d", g, i), Payload: []byte(`{"alert":"disk full"}`)}
				if _, _, err := s.Enqueue(ctx, d); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 16<<20 {
		t.Errorf("the WAL is %d KiB after 4,000 jobs: it did not start over", fi.Size()>>10)
	}
}
