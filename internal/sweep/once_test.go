package sweep

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// Many callers of one key share one load, its error included; another
// key loads on its own.
func TestOnceEachLoadsEachKeyOnce(t *testing.T) {
	var o onceEach[string, int]
	var loads atomic.Int32
	boom := errors.New("boom")
	load := func(k string) func() (int, error) {
		return func() (int, error) {
			loads.Add(1)
			if k == "bad" {
				return 0, boom
			}
			return len(k), nil
		}
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if v, err := o.get("acme", load("acme")); v != 4 || err != nil {
				t.Errorf("acme: %d %v", v, err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := o.get("bad", load("bad")); !errors.Is(err, boom) {
				t.Errorf("bad: %v, want the one load's error", err)
			}
		}()
	}
	wg.Wait()
	if n := loads.Load(); n != 2 {
		t.Errorf("%d loads for two keys, want 2", n)
	}
}
