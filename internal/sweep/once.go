package sweep

import "sync"

// onceEach loads a value once per key and shares it: callers asking for a
// key while its load runs wait for that one load, and later callers get
// its result (an error included). It holds what a sweep reads once for
// many issues: a project's traffic, an organization's resolved issues.
type onceEach[K comparable, V any] struct {
	mu  sync.Mutex
	got map[K]*onceEntry[V]
}

type onceEntry[V any] struct {
	once sync.Once
	v    V
	err  error
}

// get returns k's value, loading it with load the first time.
func (o *onceEach[K, V]) get(k K, load func() (V, error)) (V, error) {
	o.mu.Lock()
	if o.got == nil {
		o.got = map[K]*onceEntry[V]{}
	}
	e := o.got[k]
	if e == nil {
		e = &onceEntry[V]{}
		o.got[k] = e
	}
	o.mu.Unlock()
	e.once.Do(func() { e.v, e.err = load() })
	return e.v, e.err
}
