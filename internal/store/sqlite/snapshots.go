package sqlite

import (
	"context"
	"fmt"

	"github.com/fixproof/fixproof/internal/store"
)

const (
	// qSaveSnapshot replaces a snapshot only with one taken no earlier.
	qSaveSnapshot = `
INSERT INTO snapshots (name, data, taken_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET data = excluded.data, taken_at = excluded.taken_at
WHERE snapshots.taken_at <= excluded.taken_at`

	qLoadSnapshot = `SELECT data, taken_at FROM snapshots WHERE name = ?1`
)

// SaveSnapshot stores snap unless the one stored under its name was taken
// later.
func (s *Store) SaveSnapshot(ctx context.Context, snap store.Snapshot) (bool, error) {
	saved := false
	data := snap.Data
	if data == nil {
		data = []byte{}
	}
	err := s.submit(ctx, func(w *wtx) error {
		res, err := w.exec(qSaveSnapshot, snap.Name, data, us(snap.Taken))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		saved = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite store: save snapshot %s: %w", snap.Name, err)
	}
	return saved, nil
}

// LoadSnapshot reads the snapshot stored under name.
func (s *Store) LoadSnapshot(ctx context.Context, name string) (store.Snapshot, bool, error) {
	snap := store.Snapshot{Name: name}
	var taken int64
	found, err := s.readOne(ctx, func(q querier) error { return q.queryRow(qLoadSnapshot, name).Scan(&snap.Data, &taken) })
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("sqlite store: load snapshot %s: %w", name, err)
	}
	if !found {
		return store.Snapshot{}, false, nil
	}
	snap.Taken = fromUS(taken)
	return snap, true, nil
}
