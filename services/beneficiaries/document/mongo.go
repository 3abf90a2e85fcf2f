package document

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Collections: the metadata (with the outbox of document events) and the GridFS bucket of the contents
// (collections document_contents.files and document_contents.chunks). A content's GridFS id is its document id.
const (
	CollDocuments = "documents"
	Bucket        = "document_contents"
)

// Collections returns the collections whose outboxes the service's relay must publish.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollDocuments)}
}

// EnsureIndexes creates the metadata indexes (GridFS creates its own on the first upload, one at a time).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollDocuments),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}, {Key: "uploaded_at", Value: -1}}})
}

// Record is a stored document's metadata.
type Record = store.Versioned[Document]

// Repository keeps document metadata and contents.
type Repository struct {
	docs   *store.Repository[Document]
	bucket *mongo.GridFSBucket
}

// NewRepository works on db; onWrite wakes the relay after a write with events.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{
		docs:   store.NewRepository[Document](db.Collection(CollDocuments), onWrite),
		bucket: db.GridFSBucket(options.GridFSBucket().SetName(Bucket)),
	}
}

// Store saves the content under the document id, then the metadata with its events. Without transactions the
// two writes are not atomic: if the metadata cannot be written the content is deleted again; a crash in between
// leaves a content no document names, which nothing can reach.
func (r *Repository) Store(ctx context.Context, tenant, id string, d Document, content io.Reader, evs ...events.Event) error {
	meta := bson.D{{Key: "tenant", Value: tenant}, {Key: "document_id", Value: id}}
	if err := r.bucket.UploadFromStreamWithID(ctx, id, id, content, options.GridFSUpload().SetMetadata(meta)); err != nil {
		return fmt.Errorf("document: store content: %w", err)
	}
	if err := r.docs.Insert(ctx, tenant, id, d, evs...); err != nil {
		if derr := r.bucket.Delete(context.WithoutCancel(ctx), id); derr != nil {
			err = errors.Join(err, derr)
		}
		return fmt.Errorf("document: store metadata: %w", err)
	}
	return nil
}

// Load reads a document's metadata (another tenant's is ErrNotFound).
func (r *Repository) Load(ctx context.Context, tenant, id string) (Record, error) {
	rec, err := r.docs.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, ErrNotFound
	}
	return rec, err
}

// OfFile returns the metadata of a file's documents that are not removed, newest first.
func (r *Repository) OfFile(ctx context.Context, tenant, fileID string) ([]Record, error) {
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "file_id", Value: fileID}, {Key: "removal", Value: bson.D{{Key: "$exists", Value: false}}}})
	if err != nil {
		return nil, err
	}
	cur, err := r.docs.Collection().Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "uploaded_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("document: list: %w", err)
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		var d Document
		if err := bson.Unmarshal(cur.Current, &d); err != nil {
			return nil, fmt.Errorf("document: decode: %w", err)
		}
		id, _ := cur.Current.Lookup("_id").StringValueOK()
		version, _ := cur.Current.Lookup("version").AsInt64OK()
		out = append(out, Record{ID: id, Tenant: tenant, Version: version, State: d})
	}
	return out, cur.Err()
}

// Open streams a document's content.
func (r *Repository) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	ds, err := r.bucket.OpenDownloadStream(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("document: open content: %w", err)
	}
	return ds, nil
}

// Update changes a document's metadata read at version expected.
func (r *Repository) Update(ctx context.Context, tenant, id string, expected int64, fn func(*Document) error) (int64, error) {
	v, err := r.docs.UpdateIfVersion(ctx, tenant, id, expected, func(d *Document) ([]events.Event, error) { return nil, fn(d) })
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	return v, err
}
