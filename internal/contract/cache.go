package contract

import "sync"

// entry is one lazily loaded, shared value.
type entry[T any] struct {
	once sync.Once
	v    T
	err  error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]any{}
)

// cached returns the value loaded for key, calling load at most once per key
// for the life of the process (a sync.Once keyed by key). A failed load is
// cached too, so every caller sees the same error.
func cached[T any](key string, load func() (T, error)) (T, error) {
	cacheMu.Lock()
	e, ok := cache[key].(*entry[T])
	if !ok {
		e = &entry[T]{}
		cache[key] = e
	}
	cacheMu.Unlock()
	e.once.Do(func() { e.v, e.err = load() })
	return e.v, e.err
}
