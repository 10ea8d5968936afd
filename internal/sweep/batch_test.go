package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sentry"
)

// Issues that ask at the same time share requests of up to ten, per
// organization and environment, and each gets its own counts back.
func TestCountsAreAskedForTenIssuesAtATime(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var sizes []int
	// A second to gather, so that the grouping does not depend on how
	// fast this machine starts 25 goroutines: two batches fill, the third
	// goes when its second passes.
	b := countBatcher{wait: time.Second, fetch: func(_ context.Context, k countKey, ids []string) (map[string][]sentry.Bucket, error) {
		calls.Add(1)
		mu.Lock()
		sizes = append(sizes, len(ids))
		mu.Unlock()
		out := map[string][]sentry.Bucket{}
		for _, id := range ids {
			out[id] = []sentry.Bucket{{Count: float64(len(id)), Incomplete: k.org != "acme" || k.env != "production"}}
		}
		return out, nil
	}}
	var wg sync.WaitGroup
	errs := make(chan error, 25)
	for i := range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint(1000 * (i + 1))
			got, err := b.load(context.Background(), countKey{org: "acme", env: "production"}, id)
			if err != nil || len(got) != 1 || got[0].Count != float64(len(id)) || got[0].Incomplete {
				errs <- fmt.Errorf("issue %s got %+v, %v", id, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests for 25 issues asking at once (sizes %v), want 3", n, sizes)
	}
	for _, n := range sizes {
		if n > maxBatch {
			t.Errorf("a request for %d issues: Sentry answers at most %d", n, maxBatch)
		}
	}
}

// Another environment is another request; a failed request fails every
// issue in it.
func TestCountsKeepEnvironmentsApartAndShareFailures(t *testing.T) {
	boom := errors.New("sentry: 500")
	b := countBatcher{fetch: func(_ context.Context, k countKey, ids []string) (map[string][]sentry.Bucket, error) {
		if k.env == "staging" {
			return nil, boom
		}
		return map[string][]sentry.Bucket{ids[0]: {{Count: 1}}}, nil
	}}
	var wg sync.WaitGroup
	var prodErr, stagingErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, prodErr = b.load(context.Background(), countKey{org: "acme", env: "production"}, "1")
	}()
	go func() {
		defer wg.Done()
		_, stagingErr = b.load(context.Background(), countKey{org: "acme", env: "staging"}, "1")
	}()
	wg.Wait()
	if prodErr != nil || !errors.Is(stagingErr, boom) {
		t.Errorf("production %v, staging %v; want the staging request's failure only", prodErr, stagingErr)
	}
}
