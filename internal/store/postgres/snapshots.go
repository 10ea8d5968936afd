package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fixproof/fixproof/internal/store"
)

const (
	// qSaveSnapshot replaces a snapshot only with one taken no earlier; it
	// returns a row only when it stored one.
	qSaveSnapshot = `
INSERT INTO snapshots AS s (name, data, taken_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, taken_at = EXCLUDED.taken_at
WHERE s.taken_at <= EXCLUDED.taken_at
RETURNING true`

	qLoadSnapshot = `SELECT data, taken_at FROM snapshots WHERE name = $1`

	qListSnapshots = `
SELECT name, data, taken_at FROM snapshots
WHERE starts_with(name, $1) AND taken_at > $2
ORDER BY taken_at DESC, name LIMIT $3`
)

// SaveSnapshot stores snap unless the one stored under its name was taken
// later.
func (s *Store) SaveSnapshot(ctx context.Context, snap store.Snapshot) (bool, error) {
	data := snap.Data
	if data == nil {
		data = []byte{}
	}
	var saved bool
	err := s.pool.QueryRow(ctx, qSaveSnapshot, snap.Name, data, ts(snap.Taken)).Scan(&saved)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres store: save snapshot %s: %w", snap.Name, err)
	}
	return saved, nil
}

// LoadSnapshot reads the snapshot stored under name.
func (s *Store) LoadSnapshot(ctx context.Context, name string) (store.Snapshot, bool, error) {
	snap := store.Snapshot{Name: name}
	err := s.pool.QueryRow(ctx, qLoadSnapshot, name).Scan(&snap.Data, &snap.Taken)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Snapshot{}, false, nil
	}
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("postgres store: load snapshot %s: %w", name, err)
	}
	snap.Taken = snap.Taken.UTC()
	return snap, true, nil
}

// ListSnapshots reads the snapshots named with prefix taken after since,
// newest first, at most limit (all when limit is 0 or less).
func (s *Store) ListSnapshots(ctx context.Context, prefix string, since time.Time, limit int) ([]store.Snapshot, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, qListSnapshots, prefix, ts(since), lim)
	if err != nil {
		return nil, fmt.Errorf("postgres store: list snapshots %s: %w", prefix, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Snapshot, error) {
		var snap store.Snapshot
		err := r.Scan(&snap.Name, &snap.Data, &snap.Taken)
		snap.Taken = snap.Taken.UTC()
		return snap, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres store: list snapshots %s: %w", prefix, err)
	}
	return out, nil
}
