// Package store is the document store every function keeps its data in:
// documents in collections, read and written in serializable transactions.
//
// Two drivers keep one contract (DESIGN §6): store/firestore for production
// and store/sqlite for the embedded default. Both pass the conformance suite
// in store/storetest. Documents are Go structs whose fields carry `store`
// tags (`store:"name,omitempty"`, or `store:",inline"` for a struct whose
// fields lie beside the document's own); both drivers store them through
// the same codec, so missing and null fields and times (UTC, millisecond
// precision) behave the same everywhere.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Errors every driver reports, classified for the transports.
var (
	// ErrNotFound is a document that does not exist, or an ID no document can have.
	ErrNotFound = apperr.New(apperr.NotFound, "Not found")
	// ErrConflict is a Create of a document that already exists.
	ErrConflict = apperr.New(apperr.Conflict, "Already exists")
	// ErrUnavailable is contention that outlasted the retries, or a store that is down.
	// Nothing of the transaction was written.
	ErrUnavailable = apperr.New(apperr.Unavailable, "Service is busy, please try again")
	// ErrInvalidID is a write to an ID no document can have.
	ErrInvalidID = apperr.New(apperr.Invalid, "Invalid id")
	// ErrBadCursor is a Query.After that names no document of the query's order.
	ErrBadCursor = apperr.New(apperr.Invalid, "Invalid cursor")
	// ErrReadAfterWrite is a read in a transaction after one of its writes;
	// Firestore refuses it, so both drivers do.
	ErrReadAfterWrite = errors.New("store: read after write in a transaction")
)

// Store is a document database with serializable transactions.
type Store interface {
	// RunTransaction runs fn in a transaction and commits its writes when fn
	// returns nil. fn may run more than once when transactions collide, so
	// it must have no effect outside tx: call other services after commit.
	// An error from fn rolls everything back and is returned as it is.
	RunTransaction(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Get reads one document into dst (a pointer to a struct), outside any transaction.
	Get(ctx context.Context, collection, id string, dst any) error
	// Query reads the documents of a collection that q selects, outside any transaction.
	Query(ctx context.Context, collection string, q Query) ([]Doc, error)
	// Close releases the store's connections.
	Close() error
}

// Reader reads documents: a transaction, or a store outside any (Outside).
type Reader interface {
	// Get reads one document into dst; ErrNotFound when it does not exist.
	Get(collection, id string, dst any) error
	// Query reads the documents q selects.
	Query(collection string, q Query) ([]Doc, error)
}

// Outside returns a Reader of s outside any transaction, its reads bound
// to ctx: each sees what is committed when it runs. Code that decides on
// reads can run on it first, to refuse what a transaction would refuse
// without taking the transaction's place among the writers.
func Outside(ctx context.Context, s Store) Reader { return outside{ctx: ctx, s: s} }

type outside struct {
	ctx context.Context
	s   Store
}

func (o outside) Get(collection, id string, dst any) error {
	return o.s.Get(o.ctx, collection, id, dst)
}

func (o outside) Query(collection string, q Query) ([]Doc, error) {
	return o.s.Query(o.ctx, collection, q)
}

// Tx is one transaction. Its reads come before its writes; writes are
// applied at commit, all or nothing.
type Tx interface {
	Reader
	// Create writes a new document; the commit fails with ErrConflict when it exists.
	Create(collection, id string, doc any) error
	// Set writes a document whole, creating or replacing it.
	Set(collection, id string, doc any) error
	// Delete removes a document; deleting a missing document is not an error.
	Delete(collection, id string) error
}

// Op is a comparison in a filter.
type Op string

// The comparisons a filter can make. A document that lacks the field never
// matches; a nil value matches only an explicit null, and only with Eq.
const (
	Eq Op = "=="
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
	// Contains matches documents whose field is an array holding Value
	// (a string or a number), as Firestore's array-contains does. A query
	// has at most one.
	Contains Op = "array-contains"
)

// Filter selects documents whose field compares to Value. Field may name a
// nested field with dots ("ticket.id"). A range filter (Lt, Le, Gt, Ge)
// needs the query ordered by its field.
type Filter struct {
	Field string
	Op    Op
	Value any
}

// Where returns a Filter.
func Where(field string, op Op, value any) Filter { return Filter{Field: field, Op: op, Value: value} }

// Query selects documents of one collection.
type Query struct {
	Filters []Filter
	// OrderBy names the field to sort by; documents without it are left out.
	// Ties, and queries without OrderBy, are sorted by document ID.
	OrderBy string
	Desc    bool
	// Limit caps the number of documents; 0 means no limit.
	Limit int
	// After is the ID of the last document of the previous page: the results
	// start right after it in this query's order.
	After string
	// KeysOnly asks for the documents' IDs alone: each Doc's Fields is nil.
	// For a caller that reads each document it takes afresh anyway, it
	// spares reading and decoding every document the query selects.
	KeysOnly bool
}

// Doc is a document as read by a query.
type Doc struct {
	ID     string
	Fields map[string]any
}

// DataTo decodes the document into dst, a pointer to a struct.
func (d Doc) DataTo(dst any) error { return Decode(d.Fields, dst) }

// validCollection reports whether name is a plain word: a letter, then up
// to 99 letters, digits, '_' or '-'. (Written out rather than as a regexp:
// compiling one at package init cost every function's cold start more
// than a millisecond.)
func validCollection(name string) bool {
	if name == "" || len(name) > 100 || !isLetter(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validField reports whether path is a field path: names joined by dots,
// each a letter or '_' followed by letters, digits or '_'.
func validField(path string) bool {
	for name := range strings.SplitSeq(path, ".") {
		if name == "" || isDigit(name[0]) {
			return false
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' {
				return false
			}
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ValidID reports whether id can name a document in both drivers: 1 to 500
// bytes, no slash or control character, not "." or "..", and not of the
// reserved form __x__.
func ValidID(id string) bool {
	if id == "" || len(id) > 500 || id == "." || id == ".." {
		return false
	}
	if strings.HasPrefix(id, "__") && strings.HasSuffix(id, "__") {
		return false
	}
	for _, r := range id {
		if r == '/' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// CheckCollection reports a collection name that is not a plain word; it is
// a programming error, so the result is not a user-facing kind.
func CheckCollection(name string) error {
	if !validCollection(name) {
		return fmt.Errorf("store: invalid collection name %q", name)
	}
	return nil
}

// CheckQuery reports a query that neither driver can run the same way.
func CheckQuery(q Query) error {
	contains := 0
	for _, f := range q.Filters {
		if !validField(f.Field) {
			return fmt.Errorf("store: invalid field path %q", f.Field)
		}
		switch f.Op {
		case Eq:
		case Contains:
			switch f.Value.(type) {
			case string, int, int64, float64:
			default:
				return fmt.Errorf("store: %s filter on %q needs a string or a number", f.Op, f.Field)
			}
			contains++
			if contains > 1 {
				return fmt.Errorf("store: more than one %s filter", f.Op)
			}
		case Lt, Le, Gt, Ge:
			switch f.Value.(type) {
			case nil, bool:
				return fmt.Errorf("store: %s filter on %q needs a number, string or time", f.Op, f.Field)
			}
			// Firestore orders a range query by the range's field first;
			// asking for it keeps both drivers in one order.
			if q.OrderBy != f.Field {
				return fmt.Errorf("store: a %s filter on %q needs OrderBy %q", f.Op, f.Field, f.Field)
			}
		default:
			return fmt.Errorf("store: unknown operator %q", f.Op)
		}
	}
	if q.OrderBy != "" && !validField(q.OrderBy) {
		return fmt.Errorf("store: invalid order field %q", q.OrderBy)
	}
	if q.Limit < 0 {
		return fmt.Errorf("store: negative limit %d", q.Limit)
	}
	return nil
}
