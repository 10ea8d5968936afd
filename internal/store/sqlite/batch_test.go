package sqlite

import (
	"reflect"
	"testing"
	"time"
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
	if got, want := writerPragmas(busy, true), []string{busy, "foreign_keys(1)", "synchronous(FULL)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("in memory: %q, want %q", got, want)
	}
	if got, want := writerPragmas(busy, false), []string{busy, "foreign_keys(1)", "synchronous(FULL)", "journal_mode(WAL)", "wal_autocheckpoint(0)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("file: %q, want %q", got, want)
	}
}
