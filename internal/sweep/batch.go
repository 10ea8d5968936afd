package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sentry"
)

// maxBatch is how many Sentry issues one events-timeseries request counts
// (topEvents is at most 10).
const maxBatch = 10

// batchWait is how long the first issue of a batch waits for others
// before its request goes: the issues a sweep handles at once reach this
// point within a few milliseconds of each other.
const batchWait = 5 * time.Millisecond

// countBatcher gathers the event counts the sweep's workers ask for into
// requests of up to maxBatch issues of one organization and environment,
// over the sweep's one span of windows: 10,000 watched issues cost about
// 1,000 count requests, not 10,000.
type countBatcher struct {
	fetch func(ctx context.Context, k countKey, ids []string) (map[string][]sentry.Bucket, error)
	// wait is how long a batch gathers; zero means batchWait.
	wait time.Duration
	mu   sync.Mutex
	open map[countKey]*batch
}

// countKey is what the issues of one request share: the organization,
// the environment ("" for all), and where the windows start.
type countKey struct {
	org, env string
	from     time.Time
}

// batch is one request being gathered, then sent.
type batch struct {
	ids  []string
	full chan struct{} // closed when it holds maxBatch issues
	done chan struct{} // closed when the answer is in
	res  map[string][]sentry.Bucket
	err  error
}

// load returns one issue's counts, from the batch it joins.
func (c *countBatcher) load(ctx context.Context, k countKey, id string) ([]sentry.Bucket, error) {
	c.mu.Lock()
	if c.open == nil {
		c.open = map[countKey]*batch{}
	}
	b := c.open[k]
	lead := b == nil
	if lead {
		b = &batch{full: make(chan struct{}), done: make(chan struct{})}
		c.open[k] = b
	}
	b.ids = append(b.ids, id)
	if len(b.ids) == maxBatch {
		delete(c.open, k)
		close(b.full)
	}
	c.mu.Unlock()
	if lead {
		c.send(ctx, k, b)
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.res[id], b.err
}

// send waits for the batch to fill or for batchWait, closes it to newcomers
// and asks Sentry.
func (c *countBatcher) send(ctx context.Context, k countKey, b *batch) {
	wait := c.wait
	if wait == 0 {
		wait = batchWait
	}
	t := time.NewTimer(wait)
	select {
	case <-b.full:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	c.mu.Lock()
	if c.open[k] == b {
		delete(c.open, k)
	}
	ids := b.ids
	c.mu.Unlock()
	b.res, b.err = c.fetch(ctx, k, ids)
	close(b.done)
}
