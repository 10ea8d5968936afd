package postgres

import (
	"context"
	"errors"
	"fmt"

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
