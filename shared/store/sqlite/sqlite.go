// Package sqlite is the store driver of the embedded default: one SQLite
// file per function (pure Go, modernc.org/sqlite), documents kept as JSON.
//
// Transactions begin IMMEDIATE, so writers take the database's write lock at
// their start and run one after another: every read-modify-write is
// serializable, and there is nothing to retry. Reads outside transactions
// run concurrently on WAL snapshots.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/buytickets/buytickets/shared/store"
)

// DB is a store on one SQLite file.
type DB struct {
	db *sql.DB
}

var _ store.Store = (*DB)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS documents (
	collection TEXT NOT NULL,
	id         TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (collection, id)
) WITHOUT ROWID`

// Open opens (creating when needed) the store in the file at path.
func Open(ctx context.Context, path string) (*DB, error) {
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
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite.Open %s: %w", path, classify(err))
	}
	return &DB{db: db}, nil
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
func (d *DB) Close() error { return d.db.Close() }

// RunTransaction runs fn in one IMMEDIATE transaction and applies its writes at commit.
func (d *DB) RunTransaction(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", classify(err))
	}
	t := &tx{ctx: ctx, q: sqlTx}
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
	return nil
}

// Get reads one document outside any transaction.
func (d *DB) Get(ctx context.Context, collection, id string, dst any) error {
	return get(ctx, d.db, collection, id, dst)
}

// Query reads documents outside any transaction.
func (d *DB) Query(ctx context.Context, collection string, q store.Query) ([]store.Doc, error) {
	return query(ctx, d.db, collection, q)
}

// querier is what reads need: the database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
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
	writes []write
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
	return query(t.ctx, t.q, collection, q)
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

func query(ctx context.Context, q querier, collection string, qy store.Query) ([]store.Doc, error) {
	if err := store.CheckCollection(collection); err != nil {
		return nil, err
	}
	if err := store.CheckQuery(qy); err != nil {
		return nil, err
	}
	var sb strings.Builder
	args := []any{collection}
	sb.WriteString(`SELECT id, data FROM documents WHERE collection = ?`)
	for _, f := range qy.Filters {
		cond, fargs, err := filterSQL(f)
		if err != nil {
			return nil, err
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
		path := jsonPath(qy.OrderBy)
		sb.WriteString(` AND json_type(data, ?) IS NOT NULL`)
		args = append(args, path)
		if qy.After != "" {
			v, err := cursorValue(ctx, q, collection, qy.After, path)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&sb, ` AND (json_extract(data, ?) %s ? OR (json_extract(data, ?) = ? AND id %s ?))`, cmp, cmp)
			args = append(args, path, v, path, v, qy.After)
		}
		sb.WriteString(` ORDER BY json_extract(data, ?) ` + dir + `, id ` + dir)
		args = append(args, path)
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
	rows, err := q.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
	}
	defer rows.Close()
	var docs []store.Doc
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
		}
		fields, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("sqlite: query %s/%s: %w", collection, id, err)
		}
		docs = append(docs, store.Doc{ID: id, Fields: fields})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", collection, classify(err))
	}
	return docs, nil
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
	path := jsonPath(f.Field)
	switch x := v.(type) {
	case nil:
		return `json_type(data, ?) = 'null'`, []any{path}, nil
	case bool:
		want := "false"
		if x {
			want = "true"
		}
		return `json_type(data, ?) = ?`, []any{path, want}, nil
	case int64, float64:
		return `json_type(data, ?) IN ('integer', 'real') AND json_extract(data, ?) ` + string(f.Op) + ` ?`,
			[]any{path, path, x}, nil
	case string:
		return `json_type(data, ?) = 'text' AND json_extract(data, ?) ` + string(f.Op) + ` ?`, []any{path, path, x}, nil
	case time.Time:
		return `json_type(data, ?) = 'text' AND json_extract(data, ?) ` + string(f.Op) + ` ?`,
			[]any{path, path, x.Format(store.TimeFormat)}, nil
	default:
		return "", nil, fmt.Errorf("sqlite: filter %s: cannot compare a %T", f.Field, f.Value)
	}
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
