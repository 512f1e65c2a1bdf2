// Package firestore is the production store driver: Cloud Firestore in
// native mode, one named database per function, through
// cloud.google.com/go/firestore.
package firestore

import (
	"context"
	"errors"
	"fmt"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// Config names the database. EmulatorHost, when set, points the driver at a
// Firestore emulator (host:port) instead of Google Cloud.
type Config struct {
	ProjectID    string `env:"GOOGLE_CLOUD_PROJECT" required:"true"`
	Database     string `env:"FIRESTORE_DATABASE" default:"(default)"`
	EmulatorHost string `env:"FIRESTORE_EMULATOR_HOST"`
	// MaxAttempts is how often a transaction is tried before the store
	// answers ErrUnavailable; 0 keeps Firestore's default of 5. The emulator
	// resolves contention by lock timeouts, far more slowly than Firestore,
	// so tests that race many transactions raise it.
	MaxAttempts int
}

// Database is a command's Firestore setting, to embed in its settings
// struct (after the function's own, so a missing setting is named in that
// order): shared/launch opens it for the function.
type Database struct {
	Firestore Config
}

// OpenStore opens the database d names.
func (d *Database) OpenStore(ctx context.Context) (store.Store, error) {
	return Open(ctx, d.Firestore)
}

// DB is a store on one Firestore database.
type DB struct {
	client *fs.Client
	txOpts []fs.TransactionOption
}

var _ store.Store = (*DB)(nil)

// Open connects to the database cfg names.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("firestore.Open: no project ID")
	}
	database := cfg.Database
	if database == "" {
		database = fs.DefaultDatabaseID
	}
	var opts []option.ClientOption
	if cfg.EmulatorHost != "" {
		// The client reads the emulator's address only from the process
		// environment; dialing here lets one process reach several emulators.
		conn, err := grpc.NewClient(cfg.EmulatorHost,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(emulatorOwner{}))
		if err != nil {
			return nil, fmt.Errorf("firestore.Open: dial emulator: %w", err)
		}
		opts = append(opts, option.WithGRPCConn(conn))
	}
	client, err := fs.NewClientWithDatabase(ctx, cfg.ProjectID, database, opts...)
	if err != nil {
		return nil, fmt.Errorf("firestore.Open: %w", err)
	}
	db := &DB{client: client}
	if cfg.MaxAttempts > 0 {
		db.txOpts = append(db.txOpts, fs.MaxAttempts(cfg.MaxAttempts))
	}
	return db, nil
}

// emulatorOwner presents the emulator's owner credentials, which bypass
// security rules, as the client library does for FIRESTORE_EMULATOR_HOST.
type emulatorOwner struct{}

func (emulatorOwner) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}

func (emulatorOwner) RequireTransportSecurity() bool { return false }

// Close closes the client.
func (d *DB) Close() error { return d.client.Close() }

// RunTransaction runs fn in a Firestore transaction; Firestore re-runs it
// when it collides with another (up to its default of 5 attempts).
func (d *DB) RunTransaction(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	ctx, span := tracing.Start(ctx, "firestore transaction")
	defer func() { tracing.End(span, err) }()
	return classify(d.client.RunTransaction(ctx, func(ctx context.Context, t *fs.Transaction) error {
		return fn(ctx, &tx{client: d.client, t: t})
	}, d.txOpts...))
}

// Get reads one document outside any transaction.
func (d *DB) Get(ctx context.Context, collection, id string, dst any) error {
	ref, err := d.ref(collection, id)
	if err != nil {
		return err
	}
	snap, err := ref.Get(ctx)
	return decodeSnapshot(snap, err, dst)
}

// Query reads documents outside any transaction.
func (d *DB) Query(ctx context.Context, collection string, q store.Query) ([]store.Doc, error) {
	fq, err := d.query(ctx, collection, q, func(ref *fs.DocumentRef) (*fs.DocumentSnapshot, error) { return ref.Get(ctx) })
	if err != nil {
		return nil, err
	}
	docs, err := collect(fq.Documents(ctx), q.KeysOnly)
	return docs, classify(err)
}

func (d *DB) ref(collection, id string) (*fs.DocumentRef, error) {
	if err := store.CheckCollection(collection); err != nil {
		return nil, err
	}
	if !store.ValidID(id) {
		return nil, store.ErrNotFound
	}
	return d.client.Collection(collection).Doc(id), nil
}

// query builds q for Firestore. read fetches the cursor's document, inside
// the transaction when there is one.
func (d *DB) query(ctx context.Context, collection string, q store.Query, read func(*fs.DocumentRef) (*fs.DocumentSnapshot, error)) (fs.Query, error) {
	if err := store.CheckCollection(collection); err != nil {
		return fs.Query{}, err
	}
	if err := store.CheckQuery(q); err != nil {
		return fs.Query{}, err
	}
	fq := d.client.Collection(collection).Query
	for _, f := range q.Filters {
		v, err := store.EncodeValue(f.Value)
		if err != nil {
			return fs.Query{}, fmt.Errorf("firestore: filter %s: %w", f.Field, err)
		}
		fq = fq.Where(f.Field, string(f.Op), v)
	}
	dir := fs.Asc
	if q.Desc {
		dir = fs.Desc
	}
	if q.OrderBy != "" {
		fq = fq.OrderBy(q.OrderBy, dir)
	}
	fq = fq.OrderBy(fs.DocumentID, dir)
	if q.After != "" {
		if !store.ValidID(q.After) {
			return fs.Query{}, store.ErrBadCursor
		}
		snap, err := read(d.client.Collection(collection).Doc(q.After))
		if status.Code(err) == codes.NotFound {
			return fs.Query{}, store.ErrBadCursor
		}
		if err != nil {
			return fs.Query{}, fmt.Errorf("firestore: cursor: %w", err)
		}
		if q.OrderBy != "" {
			v, err := snap.DataAt(q.OrderBy)
			if err != nil || v == nil {
				return fs.Query{}, store.ErrBadCursor
			}
			fq = fq.StartAfter(v, q.After)
		} else {
			fq = fq.StartAfter(q.After)
		}
	}
	if q.Limit > 0 {
		fq = fq.Limit(q.Limit)
	}
	if q.KeysOnly {
		fq = fq.Select() // document names only
	}
	return fq, nil
}

type tx struct {
	client *fs.Client
	t      *fs.Transaction
	wrote  bool
}

func (t *tx) Get(collection, id string, dst any) error {
	if t.wrote {
		return store.ErrReadAfterWrite
	}
	ref, err := (&DB{client: t.client}).ref(collection, id)
	if err != nil {
		return err
	}
	snap, err := t.t.Get(ref)
	return decodeSnapshot(snap, err, dst)
}

func (t *tx) Query(collection string, q store.Query) ([]store.Doc, error) {
	if t.wrote {
		return nil, store.ErrReadAfterWrite
	}
	fq, err := (&DB{client: t.client}).query(context.Background(), collection, q, t.t.Get)
	if err != nil {
		return nil, err
	}
	return collect(t.t.Documents(fq), q.KeysOnly)
}

func (t *tx) Create(collection, id string, doc any) error {
	ref, fields, err := t.prepare(collection, id, doc)
	if err != nil {
		return err
	}
	return t.t.Create(ref, fields)
}

func (t *tx) Set(collection, id string, doc any) error {
	ref, fields, err := t.prepare(collection, id, doc)
	if err != nil {
		return err
	}
	return t.t.Set(ref, fields)
}

func (t *tx) Delete(collection, id string) error {
	ref, _, err := t.prepare(collection, id, nil)
	if err != nil {
		return err
	}
	return t.t.Delete(ref)
}

func (t *tx) prepare(collection, id string, doc any) (*fs.DocumentRef, map[string]any, error) {
	if err := store.CheckCollection(collection); err != nil {
		return nil, nil, err
	}
	if !store.ValidID(id) {
		return nil, nil, store.ErrInvalidID.With(fmt.Errorf("store: invalid document id %q", id))
	}
	t.wrote = true
	var fields map[string]any
	if doc != nil {
		var err error
		if fields, err = store.Encode(doc); err != nil {
			return nil, nil, err
		}
	}
	return t.client.Collection(collection).Doc(id), fields, nil
}

func decodeSnapshot(snap *fs.DocumentSnapshot, err error, dst any) error {
	if status.Code(err) == codes.NotFound {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("firestore: get: %w", err)
	}
	return store.Decode(snap.Data(), dst)
}

func collect(it *fs.DocumentIterator, keysOnly bool) ([]store.Doc, error) {
	defer it.Stop()
	var docs []store.Doc
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("firestore: query: %w", err)
		}
		doc := store.Doc{ID: snap.Ref.ID}
		if !keysOnly {
			doc.Fields = snap.Data()
		}
		docs = append(docs, doc)
	}
}

// classify maps Firestore's status codes to the store's errors: a duplicate
// create is a conflict; contention past the retries, a deadline or an
// unreachable service is unavailable. Errors fn returned pass through.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	switch status.Code(err) {
	case codes.AlreadyExists:
		return fmt.Errorf("firestore: %w: %v", store.ErrConflict, err)
	case codes.Aborted, codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return store.ErrUnavailable.With(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return store.ErrUnavailable.With(err)
	}
	return err
}
