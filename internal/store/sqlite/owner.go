package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// ErrInUse is returned by Open when another process owns the database
// file: SQLite keeps one bot's queue, and its leases are released at
// start-up on the understanding that no other process holds any.
var ErrInUse = errors.New("sqlite store: the database is in use by another fixproof process")

// owner is the exclusive lock one process holds on a database file for
// as long as it has the store open: a lock on a file beside it (PATH-owner)
// that the operating system releases when the process ends, however it
// ends. SQLite's own locks are never touched.
type owner struct {
	f *os.File
}

// own takes the ownership lock of the database at path, or fails with
// ErrInUse naming the process that holds it.
func own(path string) (*owner, error) {
	name := path + "-owner"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !locked {
		holder, _ := os.ReadFile(name)
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "a process that has not said who it is"
		}
		return nil, fmt.Errorf("%w: %s is held by %s. One bot process per SQLite file: stop the other one, or use Postgres (store: postgres://...) to run replicas", ErrInUse, path, who)
	}
	host, _ := os.Hostname()
	// Who holds it, for the error another process gets; the lock itself
	// is what counts, so a failure to write this is not fatal.
	if err := f.Truncate(0); err == nil {
		_, _ = fmt.Fprintf(f, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	}
	return &owner{f: f}, nil
}

// release gives the lock up.
func (o *owner) release() error {
	if o == nil {
		return nil
	}
	return o.f.Close() // closing the descriptor drops the lock
}

// filePath is the file a DSN names: a path, or a "file:" URI as
// modernc.org/sqlite takes it ("file:/var/lib/fixproof.db?cache=shared",
// "file:///var/lib/fixproof.db").
func filePath(dsn string) string {
	p, ok := strings.CutPrefix(dsn, "file:")
	if !ok {
		return dsn
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if rest, ok := strings.CutPrefix(p, "//"); ok {
		// An authority, empty or localhost, then an absolute path.
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p = rest[i:]
		}
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	return p
}

// releaseLeases frees every fingerprint lease and named lease. Only the
// owner calls it, before its writer starts: holding the ownership lock, it
// knows that whoever held them is gone.
func (s *Store) releaseLeases(ctx context.Context) error {
	if err := s.w.begin(ctx); err != nil {
		return fmt.Errorf("release leases: begin: %w", err)
	}
	for _, q := range []string{
		`UPDATE fingerprints SET lease_owner = NULL WHERE lease_owner IS NOT NULL`,
		`DELETE FROM leases`,
	} {
		if _, err := s.w.conn.ExecContext(ctx, q); err != nil {
			s.w.rollback()
			return fmt.Errorf("release leases: %w", err)
		}
	}
	if _, err := s.w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		s.w.rollback()
		return fmt.Errorf("release leases: commit: %w", err)
	}
	return nil
}
