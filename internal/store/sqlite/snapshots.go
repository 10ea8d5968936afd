package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

const (
	// qSaveSnapshot replaces a snapshot only with one taken no earlier.
	qSaveSnapshot = `
INSERT INTO snapshots (name, data, taken_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET data = excluded.data, taken_at = excluded.taken_at
WHERE snapshots.taken_at <= excluded.taken_at`

	qLoadSnapshot = `SELECT data, taken_at FROM snapshots WHERE name = ?1`

	qListSnapshots = `
SELECT name, data, taken_at FROM snapshots
WHERE substr(name, 1, length(?1)) = ?1 AND taken_at > ?2
ORDER BY taken_at DESC, name LIMIT ?3`
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

// ListSnapshots reads the snapshots named with prefix taken after since,
// newest first, at most limit (all when limit is 0 or less).
func (s *Store) ListSnapshots(ctx context.Context, prefix string, since time.Time, limit int) ([]store.Snapshot, error) {
	if limit <= 0 {
		limit = -1
	}
	var out []store.Snapshot
	err := s.read(ctx, func(q querier) error {
		out = nil
		rows, err := q.query(qListSnapshots, prefix, us(since), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var snap store.Snapshot
			var taken int64
			if err := rows.Scan(&snap.Name, &snap.Data, &taken); err != nil {
				return err
			}
			snap.Taken = fromUS(taken)
			out = append(out, snap)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite store: list snapshots %s: %w", prefix, err)
	}
	return out, nil
}
