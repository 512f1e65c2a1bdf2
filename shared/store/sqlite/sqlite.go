// Package sqlite is the store driver of the embedded default: one SQLite
// file per function (pure Go, modernc.org/sqlite), documents kept as JSON.
//
// Transactions begin IMMEDIATE, so writers take the database's write lock at
// their start and run one after another: every read-modify-write is
// serializable, and there is nothing to retry. Reads outside transactions
// run concurrently on WAL snapshots.
//
// Within one process the writers of a DB queue for the lock in Go, first
// come first served, before they ask SQLite for it. SQLite's own busy
// handler is not fair: a waiting writer sleeps and polls, with sleeps
// growing to 100 ms, and a writer arriving between its polls takes the lock
// first, so under steady load some writers waited past the busy timeout
// while later ones kept winning. The queue gives each writer its turn in
// order, bounds the wait (Options.WriteWait), and lets a writer whose
// context ends leave it. Open a file once per process and share the DB: two
// DBs on one file meet only at SQLite's busy handler.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// DB is a store on one SQLite file.
type DB struct {
	db *sql.DB
	// turn holds one token while a write transaction runs; writers wait
	// for it in arrival order (a channel's waiting senders are served in
	// the order they came).
	turn      chan struct{}
	writeWait time.Duration
	commits   int            // since the last checkpoint; read and written in turn
	waiting   atomic.Int32   // writers waiting for their turn
	emptying  sync.WaitGroup // a checkpoint running after its writer returned
	// indexes holds the names of the query indexes the file has (index).
	indexes sync.Map
	// stmts holds the statements prepared, by their SQL (prepared).
	stmts sync.Map
}

// Options tunes a DB; the zero value is the default.
type Options struct {
	// WriteWait bounds how long a write transaction waits for its turn
	// before the store answers ErrUnavailable (default 10s): long enough
	// that a burst drains, short enough that a caller is told to retry
	// rather than hang.
	WriteWait time.Duration
	// Conns is how many connections are kept open for reads running at
	// once (default 4); more readers wait for a free one. Each keeps its
	// own page cache, of up to 2 MB.
	Conns int
}

// checkpointEvery is how many commits pass between two checkpoints that
// empty the write-ahead log. SQLite's own, after each commit that grows
// the log past 1,000 pages, copies what it can but never restarts the log
// while readers come and go without pause, as they do under load: the log
// then grows without end (262 MB in a 10-minute soak), and every read
// looks through its index.
const checkpointEvery = 500

var _ store.Store = (*DB)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS documents (
	collection TEXT NOT NULL,
	id         TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (collection, id)
) WITHOUT ROWID`

// Open opens (creating when needed) the store in the file at path, with
// the default Options.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens (creating when needed) the store in the file at path.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Second
	}
	if opts.Conns <= 0 {
		opts.Conns = 4
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite.Open: %w", err)
		}
	}
	if err := private(path); err != nil {
		return nil, fmt.Errorf("sqlite.Open: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite.Open: %w", err)
	}
	// Every connection opened costs a file open and the pragmas above;
	// keeping them idle rather than closing all but two (database/sql's
	// default) spares readers that cost under load.
	db.SetMaxOpenConns(opts.Conns)
	db.SetMaxIdleConns(opts.Conns)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite.Open %s: %w", path, classify(err))
	}
	d := &DB{db: db, turn: make(chan struct{}, 1), writeWait: opts.WriteWait}
	if err := d.loadIndexes(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite.Open %s: %w", path, err)
	}
	return d, nil
}

// private makes the database file, and its journal files when they exist,
// readable by their owner only (they hold password hashes and payments),
// creating the database file so; SQLite gives its journal files the
// database file's permissions.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (d *DB) Close() error {
	d.emptying.Wait()
	d.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return d.db.Close()
}

// RunTransaction waits for its turn among the DB's writers, then runs fn
// in one IMMEDIATE transaction and applies its writes at commit.
func (d *DB) RunTransaction(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	ctx, span := tracing.Start(ctx, "sqlite transaction")
	defer func() { tracing.End(span, err) }()
	if err := d.awaitTurn(ctx); err != nil {
		return err
	}
	keep := false // the turn passes to a checkpoint
	defer func() {
		if !keep {
			<-d.turn
		}
	}()
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", classify(err))
	}
	t := &tx{ctx: ctx, q: prepared{d: d, tx: sqlTx}, sqlTx: sqlTx, db: d}
	if err := fn(ctx, t); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := t.apply(); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", classify(err))
	}
	for _, name := range t.indexed {
		d.indexes.Store(name, true)
	}
	if d.commits++; d.commits >= checkpointEvery {
		d.commits, keep = 0, true
		d.emptying.Go(func() {
			defer func() { <-d.turn }()
			d.checkpoint(context.WithoutCancel(ctx))
		})
	}
	return nil
}

// checkpoint empties the write-ahead log into the database file. It runs
// in the turn of the writer whose commit called for it, so no writer adds
// to the log meanwhile, but not on its time: that writer has returned
// (a checkpoint takes 13 ms at the median under load, up to 65 ms).
// Readers in the middle of a read are waited for (the busy timeout). A
// checkpoint that cannot finish leaves the log for the next.
func (d *DB) checkpoint(ctx context.Context) {
	if _, err := d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		logging.FromContext(ctx).WarnContext(ctx, "sqlite: checkpoint", slog.Any("error", err))
	}
}

// awaitTurn waits, in arrival order, until no other write transaction of d
// runs, ctx ends or the write wait passes.
func (d *DB) awaitTurn(ctx context.Context) error {
	select {
	case d.turn <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(d.writeWait)
	defer timer.Stop()
	d.waiting.Add(1)
	defer d.waiting.Add(-1)
	select {
	case d.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sqlite: waiting to write: %w", classify(ctx.Err()))
	case <-timer.C:
		return store.ErrUnavailable.With(fmt.Errorf("sqlite: waited %v to write", d.writeWait))
	}
}

// Get reads one document outside any transaction.
func (d *DB) Get(ctx context.Context, collection, id string, dst any) error {
	return get(ctx, prepared{d: d}, collection, id, dst)
}

// Query reads documents outside any transaction. The first query of its
// shape builds the shape's index when no writer is running; a read never
// waits for writers, so while one runs the query goes without the index.
func (d *DB) Query(ctx context.Context, collection string, q store.Query) ([]store.Doc, error) {
	if err := check(collection, q); err != nil {
		return nil, err
	}
	using := ""
	if ix, ok := indexFor(collection, q); ok {
		built, err := d.tryIndex(ctx, ix)
		if err != nil {
			return nil, err
		}
		if built {
			using = ix.name
		}
	}
	return query(ctx, prepared{d: d}, collection, q, using)
}

// tryIndex reports whether the file has ix, creating it first when no
// write transaction runs.
func (d *DB) tryIndex(ctx context.Context, ix index) (bool, error) {
	if _, known := d.indexes.Load(ix.name); known {
		return true, nil
	}
	select {
	case d.turn <- struct{}{}:
	default:
		return false, nil
	}
	defer func() { <-d.turn }()
	if _, err := d.db.ExecContext(ctx, ix.create); err != nil {
		return false, fmt.Errorf("sqlite: index %s: %w", ix.name, classify(err))
	}
	d.indexes.Store(ix.name, true)
	return true, nil
}

// loadIndexes records the query indexes the file already has.
func (d *DB) loadIndexes(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'`)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return classify(err)
		}
		d.indexes.Store(name, true)
	}
	return classify(rows.Err())
}

// querier is what reads and writes need: the database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// prepared runs statements prepared once per DB and kept, in tx when it is
// not nil: parsing a statement cost as much as running it.
type prepared struct {
	d  *DB
	tx *sql.Tx
}

func (p prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s, err := p.d.prepare(ctx, query)
	if err != nil || p.tx == nil {
		return s, err
	}
	return p.tx.StmtContext(ctx, s), nil
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil {
		// A *sql.Row carries its error only from database/sql: run the
		// query unprepared, which reports the same error.
		if p.tx != nil {
			return p.tx.QueryRowContext(ctx, query, args...)
		}
		return p.d.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// prepare returns query prepared, preparing it the first time.
func (d *DB) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := d.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := d.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	if prev, loaded := d.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

type write struct {
	op         string // "create", "set", "delete"
	collection string
	id         string
	data       string
}

type tx struct {
	ctx    context.Context
	q      querier
	sqlTx  *sql.Tx // for statements run once, such as building an index
	db     *DB
	writes []write
	// indexed names the indexes built in this transaction, known to the
	// DB once it commits.
	indexed []string
}

func (t *tx) Get(collection, id string, dst any) error {
	if len(t.writes) > 0 {
		return store.ErrReadAfterWrite
	}
	return get(t.ctx, t.q, collection, id, dst)
}

func (t *tx) Query(collection string, q store.Query) ([]store.Doc, error) {
	if len(t.writes) > 0 {
		return nil, store.ErrReadAfterWrite
	}
	if err := check(collection, q); err != nil {
		return nil, err
	}
	using := ""
	if ix, ok := indexFor(collection, q); ok {
		_, known := t.db.indexes.Load(ix.name)
		if !known && !slices.Contains(t.indexed, ix.name) {
			// The transaction holds the write lock: the index is built
			// in it, and stays if it commits.
			if _, err := t.sqlTx.ExecContext(t.ctx, ix.create); err != nil {
				return nil, fmt.Errorf("sqlite: index %s: %w", ix.name, classify(err))
			}
			t.indexed = append(t.indexed, ix.name)
		}
		// Statements are prepared outside the transaction, where an
		// index it built does not exist until it commits.
		if known {
			using = ix.name
		}
	}
	return query(t.ctx, t.q, collection, q, using)
}

func (t *tx) Create(collection, id string, doc any) error {
	return t.put("create", collection, id, doc)
}

func (t *tx) Set(collection, id string, doc any) error { return t.put("set", collection, id, doc) }

func (t *tx) Delete(collection, id string) error {
	if err := checkRef(collection, id); err != nil {
		return err
	}
	t.writes = append(t.writes, write{op: "delete", collection: collection, id: id})
	return nil
}

func (t *tx) put(op, collection, id string, doc any) error {
	if err := checkRef(collection, id); err != nil {
		return err
	}
	fields, err := store.Encode(doc)
	if err != nil {
		return err
	}
	data, err := json.Marshal(textForm(fields))
	if err != nil {
		return fmt.Errorf("sqlite: encode %s/%s: %w", collection, id, err)
	}
	t.writes = append(t.writes, write{op: op, collection: collection, id: id, data: string(data)})
	return nil
}

// apply performs the buffered writes, in order, inside the transaction.
func (t *tx) apply() error {
	for _, w := range t.writes {
		var err error
		switch w.op {
		case "create":
			_, err = t.q.ExecContext(t.ctx, `INSERT INTO documents (collection, id, data) VALUES (?, ?, ?)`, w.collection, w.id, w.data)
			if isConstraint(err) {
				return fmt.Errorf("sqlite: create %s/%s: %w", w.collection, w.id, store.ErrConflict)
			}
		case "set":
			_, err = t.q.ExecContext(t.ctx, `INSERT INTO documents (collection, id, data) VALUES (?, ?, ?)
				ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data`, w.collection, w.id, w.data)
		case "delete":
			_, err = t.q.ExecContext(t.ctx, `DELETE FROM documents WHERE collection = ? AND id = ?`, w.collection, w.id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: %s %s/%s: %w", w.op, w.collection, w.id, classify(err))
		}
	}
	return nil
}

func checkRef(collection, id string) error {
	if err := store.CheckCollection(collection); err != nil {
		return err
	}
	if !store.ValidID(id) {
		return store.ErrInvalidID.With(fmt.Errorf("store: invalid document id %q", id))
	}
	return nil
}

func get(ctx context.Context, q querier, collection, id string, dst any) error {
	if err := store.CheckCollection(collection); err != nil {
		return err
	}
	if !store.ValidID(id) {
		return store.ErrNotFound
	}
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM documents WHERE collection = ? AND id = ?`, collection, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: get %s/%s: %w", collection, id, classify(err))
	}
	fields, err := parse(data)
	if err != nil {
		return fmt.Errorf("sqlite: get %s/%s: %w", collection, id, err)
	}
	return store.Decode(fields, dst)
}

// check reports a collection or query neither driver can run.
func check(collection string, q store.Query) error {
	if err := store.CheckCollection(collection); err != nil {
		return err
	}
	return store.CheckQuery(q)
}

// query runs qy, already checked, from the index named using when not empty.
func query(ctx context.Context, q querier, collection string, qy store.Query, using string) ([]store.Doc, error) {
	var cursor any
	if qy.OrderBy != "" && qy.After != "" {
		var err error
		if cursor, err = cursorValue(ctx, q, collection, qy.After, jsonPath(qy.OrderBy)); err != nil {
			return nil, err
		}
	}
	stmt, args, err := selectSQL(collection, qy, cursor, using)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
	}
	defer rows.Close()
	var docs []store.Doc
	for rows.Next() {
		var id string
		var data sql.NullString
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
		}
		doc := store.Doc{ID: id}
		if !qy.KeysOnly {
			fields, err := parse(data.String)
			if err != nil {
				return nil, fmt.Errorf("sqlite: query %s/%s: %w", collection, id, err)
			}
			doc.Fields = fields
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
	}
	return docs, nil
}

// selectSQL is the statement of qy, already checked; cursor is the order
// field's value in the document qy.After names, when qy has an order. The
// collection and the field paths are written into the SQL as literals
// (their names are checked to hold no quote), so that SQLite matches them
// to the shape's partial index (indexFor). using names that index once it
// exists: without statistics SQLite's planner often prefers the primary
// key's range over the collection, which reads every document of it.
func selectSQL(collection string, qy store.Query, cursor any, using string) (string, []any, error) {
	var sb strings.Builder
	var args []any
	if qy.KeysOnly {
		sb.WriteString(`SELECT id, NULL FROM documents`)
	} else {
		sb.WriteString(`SELECT id, data FROM documents`)
	}
	if using != "" {
		sb.WriteString(` INDEXED BY ` + using)
	}
	fmt.Fprintf(&sb, ` WHERE collection = '%s'`, collection)
	for _, f := range qy.Filters {
		cond, fargs, err := filterSQL(f)
		if err != nil {
			return "", nil, err
		}
		sb.WriteString(" AND " + cond)
		args = append(args, fargs...)
	}
	dir := "ASC"
	cmp := ">"
	if qy.Desc {
		dir, cmp = "DESC", "<"
	}
	if qy.OrderBy != "" {
		field := extract(qy.OrderBy)
		sb.WriteString(" AND " + present(qy.OrderBy))
		if qy.After != "" {
			fmt.Fprintf(&sb, ` AND (%[1]s %[2]s ? OR (%[1]s = ? AND id %[2]s ?))`, field, cmp)
			args = append(args, cursor, cursor, qy.After)
		}
		fmt.Fprintf(&sb, ` ORDER BY %s %s, id %s`, field, dir, dir)
	} else {
		if qy.After != "" {
			sb.WriteString(` AND id ` + cmp + ` ?`)
			args = append(args, qy.After)
		}
		sb.WriteString(` ORDER BY id ` + dir)
	}
	if qy.Limit > 0 {
		sb.WriteString(` LIMIT ?`)
		args = append(args, qy.Limit)
	}
	return sb.String(), args, nil
}

// cursorValue reads the order field of the document a cursor names.
func cursorValue(ctx context.Context, q querier, collection, id, path string) (any, error) {
	if !store.ValidID(id) {
		return nil, store.ErrBadCursor
	}
	var kind sql.NullString
	var v any
	err := q.QueryRowContext(ctx, `SELECT json_type(data, ?), json_extract(data, ?) FROM documents WHERE collection = ? AND id = ?`,
		path, path, collection, id).Scan(&kind, &v)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!kind.Valid || kind.String == "null")) {
		return nil, store.ErrBadCursor
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: cursor: %w", classify(err))
	}
	return v, nil
}

// filterSQL returns the condition for one filter. The JSON type is checked
// with the value, so that, as in Firestore, a string never equals a number
// and a range over numbers skips strings.
func filterSQL(f store.Filter) (string, []any, error) {
	v, err := store.EncodeValue(f.Value)
	if err != nil {
		return "", nil, fmt.Errorf("sqlite: filter %s: %w", f.Field, err)
	}
	path, field := jsonPath(f.Field), extract(f.Field)
	if f.Op == store.Contains {
		return containsSQL(path, v)
	}
	switch x := v.(type) {
	case nil:
		return fmt.Sprintf(`json_type(data, '%s') = 'null'`, path), nil, nil
	case bool:
		want := "false"
		if x {
			want = "true"
		}
		return fmt.Sprintf(`json_type(data, '%s') = '%s'`, path, want), nil, nil
	case int64, float64:
		return fmt.Sprintf(`json_type(data, '%s') IN ('integer', 'real') AND %s %s ?`, path, field, f.Op), []any{x}, nil
	case string:
		return fmt.Sprintf(`json_type(data, '%s') = 'text' AND %s %s ?`, path, field, f.Op), []any{x}, nil
	case time.Time:
		return fmt.Sprintf(`json_type(data, '%s') = 'text' AND %s %s ?`, path, field, f.Op), []any{x.Format(store.TimeFormat)}, nil
	default:
		return "", nil, fmt.Errorf("sqlite: filter %s: cannot compare a %T", f.Field, f.Value)
	}
}

// containsSQL is the condition that the array at path holds v, of the
// same JSON type, as Firestore's array-contains matches it.
func containsSQL(path string, v any) (string, []any, error) {
	types := `'text'`
	if _, ok := v.(string); !ok {
		types = `'integer', 'real'`
	}
	return fmt.Sprintf(`json_type(data, '%s') = 'array' AND EXISTS (SELECT 1 FROM json_each(data, '%s') AS e WHERE e.type IN (%s) AND e.value = ?)`,
		path, path, types), []any{v}, nil
}

// extract is the SQL expression of a field's value; indexes are built on
// the same expression.
func extract(field string) string { return fmt.Sprintf(`json_extract(data, '%s')`, jsonPath(field)) }

// present is the SQL condition that a document has field, null or not:
// what an order asks of the documents it orders. A partial index whose
// condition holds it serves only queries that hold it word for word.
func present(field string) string {
	return fmt.Sprintf(`json_type(data, '%s') IS NOT NULL`, jsonPath(field))
}

// index is the index a query shape needs.
type index struct {
	name, create string
}

// indexFor returns the index serving queries of q's shape on collection:
// its equality fields, in order, then its order field and the document id
// (every query's last order), over that collection's documents alone (and
// those that have the order field). It is what Firestore's single-field
// and declared composite indexes are to Firestore: without it, every query
// would read and parse each document of the collection, inside the write
// transactions that query. ok is false for a query the primary key serves.
func indexFor(collection string, q store.Query) (ix index, ok bool) {
	var fields []string
	for _, f := range q.Filters {
		if f.Op == store.Eq && !slices.Contains(fields, f.Field) {
			fields = append(fields, f.Field)
		}
	}
	if q.OrderBy != "" {
		fields = append(fields, q.OrderBy)
	}
	if len(fields) == 0 {
		return index{}, false
	}
	where := fmt.Sprintf(`collection = '%s'`, collection)
	if q.OrderBy != "" {
		// As the query itself: documents without the order field are
		// left out. Kept in, they would sort first and be read past on
		// every query, such as the outbox's sent entries, which keep no
		// pendingAt, on every round of the relay.
		where += " AND " + present(q.OrderBy)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", collection, strings.Join(fields, "\x00"), where)
	name := fmt.Sprintf("query_%x", h.Sum64())
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = extract(f)
	}
	return index{
		name: name,
		create: fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON documents (%s, id) WHERE %s`,
			name, strings.Join(cols, ", "), where),
	}, true
}

func jsonPath(field string) string { return "$." + field }

// textForm replaces the canonical times in v with their fixed-width text.
func textForm(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(store.TimeFormat)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = textForm(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = textForm(e)
		}
		return out
	default:
		return v
	}
}

func parse(data string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	return fields, nil
}

// classify marks a busy or locked database as unavailable: the writer ahead
// held the lock past the busy timeout, and the same request may succeed later.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return store.ErrUnavailable.With(err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return store.ErrUnavailable.With(err)
	}
	return err
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
