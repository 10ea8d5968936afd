// Package sqlite is the store backend for a single bot process (or a few on
// one machine) that keeps its queue in a SQLite file.
//
// # Durability and group commit
//
// The database runs in WAL mode with synchronous=FULL, so a transaction
// that COMMIT reported is on disk: it survives kill -9 and an OS crash.
// One fsync per transaction would cap the store at a few hundred writes a
// second, so writes are group-committed: every write (Enqueue, Next, Save,
// Finish, Retry; SaveMirror, MarkSeen, SetCursor, TryLease) is an operation
// sent to one writer goroutine, which takes every operation waiting (up to
// Options.MaxBatch, 256), runs them in one transaction, commits once and
// only then answers every caller. A caller therefore never hears "stored"
// before the fsync that stored it. One operation failing (say with
// store.ErrLeaseLost) leaves the others intact: the batch is then run again
// with each operation inside its own SAVEPOINT (see commit). The
// operations that arrive while one transaction commits make up the next, so
// batches grow with the load by themselves; the writer can also linger for
// more (Options.MaxWait) but by default does not, which measured better
// (see MaxWait).
//
// The writer also checkpoints the WAL into the database file itself, every
// 100ms at most and after answering its callers, instead of letting a
// COMMIT do it every 1000 pages: that stalled the callers of that commit
// for 40 ms or more. Checkpointing between transactions also lets the WAL
// start over, where a checkpoint running beside a busy writer never
// catches up and the WAL grows without end.
//
// Next does not walk the jobs: behind a leased storm of thousands it would
// pass over all of them on every call. It walks queue_heads, one row per
// fingerprint that has jobs holding its earliest due job, which Enqueue,
// Finish and Retry keep exact (the single writer makes that simple).
//
// # Locking
//
// SQLite has one writer at a time. Within a process the writer goroutine is
// that writer: all writes go through its single connection, so they are
// serialised without any lock waits and a read-then-write (Unique's twin
// check, Next's pick-and-lease) can never interleave with another write.
// Across processes sharing one file, each writer transaction starts with
// BEGIN IMMEDIATE, which takes SQLite's write lock up front; a process that
// finds it taken waits in SQLite's busy handler (busy_timeout, default 10
// s) and the BEGIN is retried a few times more on SQLITE_BUSY. Taking the
// lock at BEGIN rather than at the first write means a transaction never
// has to be abandoned half-way because another process wrote in between,
// so every pick-then-lease decision is made on the latest data. The same
// holds for MarkSeen and TryLease, one upsert each: of two MarkSeen of one
// id, or two TryLease of one name by different owners, in one process or
// two, exactly one changes the row and so reports first or granted.
// Reads (Lookup, LookupByJiraKey, LookupMirror, LookupMirrorByTarget,
// Cursor, Stats, Dead) use a separate pool of read-only connections, which
// WAL lets run alongside the writer.
//
// ":memory:" (and any "mode=memory" DSN) is one connection: everything,
// reads included, goes through the writer goroutine, because a second
// connection would be a different, empty database.
//
// # Conventions shared with the other backends
//
// Times are stored as UTC Unix microseconds. A delivery with an empty
// Fingerprint is put in a group of its own named "job:<id>". A lease is
// identified by its owner and its Until: every new lease of a fingerprint
// ends strictly later than any earlier lease of it did (Next bumps it by a
// microsecond when needed and Save never shortens a lease), so a batch whose
// lease expired and was taken again, even by an owner of the same name, no
// longer matches and gets store.ErrLeaseLost.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/fixproof/fixproof/internal/store"
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sqlite store: closed")

// Options tune the store; the zero value gives the defaults.
type Options struct {
	// MaxBatch is the most operations committed in one transaction.
	// Default 256.
	MaxBatch int
	// MaxWait is how long the writer lingers for more operations once
	// it has taken all that were waiting, if fewer than MaxBatch.
	// Default 0, no lingering: the operations that arrive while one
	// transaction commits make up the next one, so a batch grows with
	// the load by itself, and lingering only adds latency (measured: at
	// 2,000 Enqueues/s, p99 2-3 ms without, 6 ms with a 2 ms linger; at
	// saturation with 64 callers it also cut throughput by half, since
	// every round then waited out the full linger).
	MaxWait time.Duration
	// BusyTimeout is how long a write waits for another process holding
	// the database's write lock. Default 10s.
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool (file
	// databases). Default 4.
	Readers int
	// CheckpointEvery is how often at most the writer copies the WAL
	// back into the database file (file databases), after a commit and
	// once its callers have their answers. Default 100ms: each
	// checkpoint copies a page once however many commits rewrote it, and
	// syncs the file once, so checkpointing four times less often took a
	// tenth off the writer's time at 4,000 deliveries a second, while
	// the WAL stays at about what 100ms of commits write.
	CheckpointEvery time.Duration
	// Shared opens a file database beside the process that owns it, for a
	// tool such as `fixproof bot redrive`: no ownership lock is taken and
	// no lease is released. By default a file database is owned: Open
	// takes an exclusive lock on it for as long as the store is open
	// (failing with ErrInUse if another process holds it) and, since no
	// other process can then be working, releases every lease the
	// previous owner held, so a bot restarted after kill -9 resumes at
	// once instead of waiting for its old leases to expire.
	Shared bool
}

func (o Options) withDefaults() Options {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxWait < 0 {
		o.MaxWait = 0
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 100 * time.Millisecond
	}
	return o
}

// Store is the SQLite backend of store.Store.
type Store struct {
	opts   Options
	memory bool

	wdb *sql.DB // the writer's pool, of exactly one connection
	w   *wtx    // the writer's connection; only the writer goroutine uses it after Open
	rdb *sql.DB // read-only connections; nil for an in-memory database

	ops  chan *op
	mu   sync.RWMutex // guards shut against sends on ops
	shut bool
	done chan struct{} // closed when the writer goroutine has exited

	closeOnce sync.Once
	closeErr  error

	// owner is the ownership lock of an owned file database; nil otherwise.
	owner *owner

	// lastPurge is when (by MarkSeen's clock, Unix microseconds) the
	// writer last purged old delivery ids; only the writer uses it.
	lastPurge int64
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database dsn, a file path or a
// "file:" URI as the bot's config gives after "sqlite://", or ":memory:",
// and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenOptions(ctx, dsn, Options{})
}

// OpenOptions is Open with tuning options.
func OpenOptions(ctx context.Context, dsn string, o Options) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("sqlite store: empty DSN")
	}
	o = o.withDefaults()
	s := &Store{
		opts:   o,
		memory: isMemory(dsn),
		ops:    make(chan *op, 4*o.MaxBatch),
		done:   make(chan struct{}),
	}
	if !s.memory && !o.Shared {
		own, err := own(filePath(dsn))
		if err != nil {
			return nil, fmt.Errorf("sqlite store: open %s: %w", dsn, err)
		}
		s.owner = own
	}
	busy := "busy_timeout(" + strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10) + ")"
	wdb, conn, err := openWriter(ctx, withPragmas(dsn, writerPragmas(busy, s.memory)), o.BusyTimeout)
	if err != nil {
		s.owner.release()
		return nil, fmt.Errorf("sqlite store: open %s: %w", dsn, err)
	}
	s.wdb = wdb
	s.w = &wtx{conn: conn, stmts: map[string]*sql.Stmt{}}
	if err := s.setUp(ctx, dsn, busy); err != nil {
		s.w.close()
		wdb.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		s.owner.release()
		return nil, fmt.Errorf("sqlite store: open %s: %w", dsn, err)
	}
	go s.run()
	return s, nil
}

// writerPragmas are the writer connection's pragmas: busy (the busy
// timeout), foreign keys and full syncs, and for a file WAL without
// automatic checkpoints.
func writerPragmas(busy string, memory bool) []string {
	// temp_store(MEMORY) keeps statement journals (a savepoint's, or a
	// statement's that changes several rows) in memory: on disk they
	// cost a write per changed page and protect nothing a crash needs,
	// since the WAL is what makes a commit durable.
	p := []string{busy, "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)"}
	if !memory {
		// No automatic checkpoints: run by COMMIT (every 1000 WAL
		// pages by default), a checkpoint stalls every caller of that
		// group commit for tens of milliseconds. The writer runs small
		// ones itself, after answering its callers; see run.
		p = append(p, "journal_mode(WAL)", "wal_autocheckpoint(0)")
	}
	return p
}

// openWriter opens the writer's database and takes its one connection,
// held for the store's lifetime: for ":memory:" it is the database
// itself, for a file it is the only writer.
func openWriter(ctx context.Context, dsn string, patience time.Duration) (*sql.DB, *sql.Conn, error) {
	wdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	conn, err := connect(ctx, wdb, patience)
	if err != nil {
		wdb.Close()
		return nil, nil, err
	}
	return wdb, conn, nil
}

// setUp readies a store whose writer is open: a file must be in WAL mode,
// the schema is brought up to date, an owner releases the leases a
// previous run left, and a file gets its reader connections (busy being
// their busy timeout pragma).
func (s *Store) setUp(ctx context.Context, dsn, busy string) error {
	if !s.memory {
		if err := checkWAL(ctx, s.w.conn); err != nil {
			return err
		}
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if s.owner != nil {
		if err := s.releaseLeases(ctx); err != nil {
			return err
		}
	}
	if s.memory {
		return nil
	}
	rdb, err := sql.Open("sqlite", withPragmas(dsn, []string{busy, "foreign_keys(1)", "query_only(1)"}))
	if err != nil {
		return err
	}
	rdb.SetMaxOpenConns(s.opts.Readers)
	rdb.SetMaxIdleConns(s.opts.Readers)
	s.rdb = rdb
	return rdb.PingContext(ctx)
}

// checkWAL checks that the file behind conn is in WAL mode, which it
// cannot be on a filesystem without shared memory.
func checkWAL(ctx context.Context, conn *sql.Conn) error {
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, not WAL (is the file on a filesystem without shared memory?)", mode)
	}
	return nil
}

// connect takes db's connection, retrying for up to patience while the
// file is busy. Switching a new file to WAL needs an exclusive lock, and
// SQLite answers SQLITE_BUSY at once, without its busy handler, when
// another process is switching or recovering the same file: several bot
// replicas starting together on one new database.
func connect(ctx context.Context, db *sql.DB, patience time.Duration) (*sql.Conn, error) {
	deadline := time.Now().Add(patience)
	for try := 1; ; try++ {
		conn, err := db.Conn(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(min(time.Duration(try)*5*time.Millisecond, 100*time.Millisecond)):
		}
	}
}

// isMemory tells whether dsn names an in-memory database.
func isMemory(dsn string) bool {
	if dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") {
		return true
	}
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		for _, kv := range strings.Split(dsn[i+1:], "&") {
			if kv == "mode=memory" {
				return true
			}
		}
	}
	return false
}

// withPragmas appends modernc.org/sqlite's _pragma parameters, which it
// runs on every new connection, to dsn.
func withPragmas(dsn string, pragmas []string) string {
	var b strings.Builder
	b.WriteString(dsn)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for _, p := range pragmas {
		b.WriteString(sep)
		b.WriteString("_pragma=")
		b.WriteString(p)
		sep = "&"
	}
	return b.String()
}

// Close lets the writer commit every operation already submitted, then
// closes the database. Calls after Close return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.shut = true
		close(s.ops)
		s.mu.Unlock()
		<-s.done
		s.w.close()
		err := s.wdb.Close()
		if s.rdb != nil {
			err = errors.Join(err, s.rdb.Close())
		}
		s.closeErr = errors.Join(err, s.owner.release())
	})
	return s.closeErr
}

// Ping checks that the database answers and the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if s.rdb == nil {
		return s.submit(ctx, func(w *wtx) error {
			var one int
			return w.queryRow("SELECT 1").Scan(&one)
		})
	}
	s.mu.RLock()
	shut := s.shut
	s.mu.RUnlock()
	if shut {
		return ErrClosed
	}
	return s.rdb.PingContext(ctx)
}

// ---- the writer ----

// op is one write (or, for ":memory:", read) for the writer goroutine.
type op struct {
	ctx  context.Context
	fn   func(w *wtx) error
	err  error
	done chan error
}

// submit hands fn to the writer and waits until the transaction it ran in
// has committed (or failed). Once the writer has the operation the call
// waits for its outcome even if ctx ends, so that the answer is the truth
// (a Next that committed a lease returns the batch); the writer skips
// operations whose ctx has ended before it gets to them.
func (s *Store) submit(ctx context.Context, fn func(w *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.shut {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	return <-o.done
}

// read runs a read-only query function on a reader connection, or on the
// writer for an in-memory database.
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	if s.rdb == nil {
		return s.submit(ctx, func(w *wtx) error { return fn(w) })
	}
	s.mu.RLock()
	shut := s.shut
	s.mu.RUnlock()
	if shut {
		return ErrClosed
	}
	return fn(dbQuerier{ctx: ctx, db: s.rdb})
}

// run is the writer: it commits batches of operations until ops is closed
// and empty, and checkpoints the WAL between them.
func (s *Store) run() {
	defer close(s.done)
	b := batcher{ops: s.ops, max: s.opts.MaxBatch, wait: s.opts.MaxWait, batch: make([]*op, 0, s.opts.MaxBatch)}
	dirty, lastCheckpoint := false, time.Now()
	// After Close the loop goes on until the channel is empty.
	for {
		batch, ok := b.next()
		if !ok {
			return
		}
		if s.commit(batch) {
			dirty = true
		}
		clear(batch)
		if dirty && !s.memory && time.Since(lastCheckpoint) >= s.opts.CheckpointEvery {
			s.checkpoint()
			dirty, lastCheckpoint = false, time.Now()
		}
	}
}

// batcher gathers the writer's operations into batches of up to max, so
// that callers share commits.
type batcher struct {
	ops   <-chan *op
	max   int
	wait  time.Duration // how long to linger for more; 0 for not at all
	batch []*op         // reused from batch to batch
	timer *time.Timer
}

// next waits for an operation and returns it with what else is queued,
// lingering for more while the batch has room; ok is false once ops is
// closed and empty.
func (b *batcher) next() (batch []*op, ok bool) {
	first, ok := <-b.ops
	if !ok {
		return nil, false
	}
	b.batch = append(b.batch[:0], first)
	if b.drain() && b.wait > 0 && len(b.batch) < b.max {
		b.linger()
	}
	return b.batch, true
}

// drain takes what is already queued, while the batch has room; false
// when it found ops closed.
func (b *batcher) drain() (open bool) {
	for len(b.batch) < b.max {
		select {
		case o, ok := <-b.ops:
			if !ok {
				return false
			}
			b.batch = append(b.batch, o)
		default:
			return true
		}
	}
	return true
}

// linger waits up to wait for more operations while the batch has room,
// so that a steady trickle of callers shares commits too.
func (b *batcher) linger() {
	if b.timer == nil {
		b.timer = time.NewTimer(b.wait)
	} else {
		b.timer.Reset(b.wait)
	}
	defer b.timer.Stop()
	for len(b.batch) < b.max {
		select {
		case o, ok := <-b.ops:
			if !ok {
				return
			}
			b.batch = append(b.batch, o)
		case <-b.timer.C:
			return
		}
	}
}

// checkpoint copies the WAL into the database file and syncs it. The
// writer runs it between transactions, so no frame is added meanwhile
// and the next write transaction starts the WAL over from its beginning:
// the WAL stays small (an unchecked WAL grows without end under steady
// writes, and so does the cost of every later checkpoint). Run often, each
// checkpoint has little to copy and to sync, a few milliseconds. PASSIVE
// waits for nobody: what a reader still needs, or another process is
// writing, is left for the next one. Errors are left for the next one too.
func (s *Store) checkpoint() {
	s.w.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
}

// commit runs batch in one transaction and answers each operation. It
// reports whether a transaction was committed.
//
// Operations rarely fail, so the batch first runs straight in the
// transaction. A savepoint per operation would keep one failure from
// undoing the others, but costs two more statements and a statement
// journal for every operation of every batch (a fifth of the writer's
// time, measured). When one does fail, the whole transaction is rolled
// back and the batch runs again with a savepoint around each operation, so
// that only the failed one is left out. Operations run again see only
// what committed, and set their results afresh.
func (s *Store) commit(batch []*op) bool {
	answer := func(err error) {
		for _, o := range batch {
			if err != nil {
				o.done <- err
			} else {
				o.done <- o.err
			}
		}
	}
	live := make([]*op, 0, len(batch))
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err
		} else {
			live = append(live, o)
		}
	}
	if len(live) == 0 {
		answer(nil)
		return false
	}
	for _, savepoints := range []bool{false, true} {
		if err := s.w.begin(context.Background()); err != nil {
			answer(fmt.Errorf("sqlite store: begin: %w", err))
			return false
		}
		failed, err := s.w.apply(live, savepoints)
		if err != nil {
			s.w.rollback()
			answer(err)
			return false
		}
		if failed && !savepoints {
			s.w.rollback()
			continue
		}
		if _, err := s.w.exec("COMMIT"); err != nil {
			s.w.rollback()
			answer(fmt.Errorf("sqlite store: commit: %w", err))
			return false
		}
		break
	}
	answer(nil)
	return true
}

// apply runs ops in the open transaction, setting each one's err. Without
// savepoints it stops at the first that fails and reports failed, since
// what that operation wrote before failing is still in the transaction.
// With savepoints each runs in its own, and one that fails is rolled back
// alone. err is an error that ends the whole transaction.
func (w *wtx) apply(ops []*op, savepoints bool) (failed bool, err error) {
	for _, o := range ops {
		if !savepoints {
			if o.err = o.fn(w); o.err != nil {
				return true, nil
			}
			continue
		}
		if _, err := w.exec("SAVEPOINT op"); err != nil {
			return false, fmt.Errorf("sqlite store: savepoint: %w", err)
		}
		if o.err = o.fn(w); o.err != nil {
			if _, err := w.exec("ROLLBACK TO op"); err != nil {
				// SQLite rolled the whole transaction back (disk
				// full, I/O error): nothing in the batch happened.
				return false, fmt.Errorf("sqlite store: %w (then rollback to savepoint: %v)", o.err, err)
			}
		}
		if _, err := w.exec("RELEASE op"); err != nil {
			return false, fmt.Errorf("sqlite store: release savepoint: %w", err)
		}
	}
	return false, nil
}

// querier runs queries on the writer's transaction or a reader.
type querier interface {
	query(q string, args ...any) (*sql.Rows, error)
	queryRow(q string, args ...any) scanner
}

type scanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// wtx is the writer's connection, with its statements prepared once.
// Statements ignore the callers' contexts: an operation is run to the end
// once started, whoever gave up waiting for it.
type wtx struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

func (w *wtx) queryRow(q string, args ...any) scanner {
	st, err := w.stmt(q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(context.Background(), args...)
}

// begin starts a write transaction, taking the database's write lock now.
// SQLite's busy handler already waits BusyTimeout for another process's
// lock; a few more tries cover the cases where it gives up early.
func (w *wtx) begin(ctx context.Context) error {
	var err error
	for try := 0; try < 5; try++ {
		if _, err = w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err == nil || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (w *wtx) rollback() {
	// Fails harmlessly when SQLite has already rolled back.
	w.conn.ExecContext(context.Background(), "ROLLBACK")
}

func (w *wtx) close() {
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
	w.conn.Close()
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5 // SQLITE_BUSY
}

// dbQuerier runs queries on the reader pool with the caller's context.
type dbQuerier struct {
	ctx context.Context
	db  *sql.DB
}

func (d dbQuerier) query(q string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(d.ctx, q, args...)
}

func (d dbQuerier) queryRow(q string, args ...any) scanner {
	return d.db.QueryRowContext(d.ctx, q, args...)
}

// ---- time and id helpers ----

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

// idList renders ids as a JSON array for json_each.
func idList(jobs []store.Job) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, j := range jobs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(j.ID, 10))
	}
	b.WriteByte(']')
	return b.String()
}
