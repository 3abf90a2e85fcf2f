package document

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Collections: the metadata (with the outbox of document events) and the GridFS bucket of the contents
// (collections document_contents.files and document_contents.chunks). A content's GridFS id is its document id.
const (
	CollDocuments = "documents"
	Bucket        = "document_contents"
	// CollPurges keeps one record per retention purge: who, when, why, and which documents (ids, types, file
	// numbers, due dates; no content, no name).
	CollPurges = "document_purges"
)

// Collections returns the collections whose outboxes the service's relay must publish.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollDocuments)}
}

// EnsureIndexes creates the metadata indexes (GridFS creates its own on the first upload, one at a time).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollDocuments),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}, {Key: "uploaded_at", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "removal.at", Value: 1}}}); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollPurges), mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "at", Value: -1}}})
}

// Record is a stored document's metadata.
type Record = store.Versioned[Document]

// Repository keeps document metadata and contents.
type Repository struct {
	docs   *store.Repository[Document]
	bucket *mongo.GridFSBucket
	purges *mongo.Collection
	// firstWrite serialises the uploads until one has succeeded: the driver's bucket checks its indexes on its
	// first write and records it in an unsynchronised field, so concurrent first uploads race (the race
	// detector reports it). Once written, uploads go in parallel.
	firstWrite sync.Mutex
	written    atomic.Bool
}

// NewRepository works on db; onWrite wakes the relay after a write with events.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{
		docs:   store.NewRepository[Document](db.Collection(CollDocuments), onWrite),
		bucket: db.GridFSBucket(options.GridFSBucket().SetName(Bucket)),
		purges: db.Collection(CollPurges),
	}
}

// upload writes content into the bucket (see firstWrite).
func (r *Repository) upload(ctx context.Context, id string, content io.Reader, meta bson.D) error {
	opts := options.GridFSUpload().SetMetadata(meta)
	if r.written.Load() {
		return r.bucket.UploadFromStreamWithID(ctx, id, id, content, opts)
	}
	r.firstWrite.Lock()
	defer r.firstWrite.Unlock()
	if err := r.bucket.UploadFromStreamWithID(ctx, id, id, content, opts); err != nil {
		return err
	}
	r.written.Store(true)
	return nil
}

// Store saves the content under the document id, then the metadata with its events. Without transactions the
// two writes are not atomic: if the metadata cannot be written the content is deleted again; a crash in between
// leaves a content no document names, which nothing can reach and SweepOrphans deletes once it is old enough.
func (r *Repository) Store(ctx context.Context, tenant, id string, d Document, content io.Reader, evs ...events.Event) error {
	meta := bson.D{{Key: "tenant", Value: tenant}, {Key: "document_id", Value: id}}
	if err := r.upload(ctx, id, content, meta); err != nil {
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
	return r.docs.Find(ctx, tenant, bson.D{{Key: "file_id", Value: fileID}, {Key: "removal", Value: bson.D{{Key: "$exists", Value: false}}}},
		options.Find().SetSort(bson.D{{Key: "uploaded_at", Value: -1}, {Key: "_id", Value: -1}}))
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

// SweepResult counts what a sweep removed.
type SweepResult struct {
	// Contents are stored contents (GridFS files) no document metadata names.
	Contents int
	// Partial are the chunks of uploads that never finished (chunks without their GridFS file), by upload.
	Partial int
}

// SweepOrphans removes the contents nothing refers to, stored before cutoff. Store writes the content first and
// its metadata second, without a transaction: a process that dies in between leaves a content no document
// names, and one that dies during the upload leaves chunks without their GridFS file. Neither can be reached nor
// listed by anyone, yet both hold personal data. Only what is older than cutoff is considered, so an upload in
// progress (its metadata follows its content within milliseconds) is never touched: cutoff must leave a grace
// period of at least minutes. Contents whose metadata exists, removed or not, are kept (the retention purge
// deletes those).
func (r *Repository) SweepOrphans(ctx context.Context, cutoff time.Time) (SweepResult, error) {
	var res SweepResult
	files := r.bucket.GetFilesCollection()
	cur, err := files.Find(ctx, bson.D{{Key: "uploadDate", Value: bson.D{{Key: "$lt", Value: cutoff}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return res, fmt.Errorf("document: sweep: list contents: %w", err)
	}
	var ids []bson.RawValue
	for cur.Next(ctx) {
		ids = append(ids, cur.Current.Lookup("_id"))
	}
	err = cur.Err()
	_ = cur.Close(ctx)
	if err != nil {
		return res, fmt.Errorf("document: sweep: list contents: %w", err)
	}
	for _, raw := range ids {
		id, ok := raw.StringValueOK()
		if !ok {
			continue // not one of ours: Store names every content by its document id
		}
		named, err := r.docs.Collection().CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return res, fmt.Errorf("document: sweep: %w", err)
		}
		if named > 0 {
			continue
		}
		if err := r.bucket.Delete(ctx, id); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
			return res, fmt.Errorf("document: sweep: delete content: %w", err)
		}
		res.Contents++
	}

	// Chunks carry no date, but their _id is an ObjectID the driver made when it wrote them. (FerretDB's distinct
	// refuses the driver's maxTimeMS: the files ids are gathered here.)
	chunks := r.bucket.GetChunksCollection()
	ccur, err := chunks.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: bson.NewObjectIDFromTimestamp(cutoff)}}}},
		options.Find().SetProjection(bson.D{{Key: "files_id", Value: 1}}))
	if err != nil {
		return res, fmt.Errorf("document: sweep: list chunks: %w", err)
	}
	var fileIDs []bson.RawValue
	seen := map[string]bool{}
	for ccur.Next(ctx) {
		fid := ccur.Current.Lookup("files_id")
		if key := fid.String(); !seen[key] {
			seen[key] = true
			fileIDs = append(fileIDs, fid)
		}
	}
	err = ccur.Err()
	_ = ccur.Close(ctx)
	if err != nil {
		return res, fmt.Errorf("document: sweep: list chunks: %w", err)
	}
	for _, fid := range fileIDs {
		n, err := files.CountDocuments(ctx, bson.D{{Key: "_id", Value: fid}})
		if err != nil {
			return res, fmt.Errorf("document: sweep: %w", err)
		}
		if n > 0 {
			continue
		}
		if _, err := chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: fid}}); err != nil {
			return res, fmt.Errorf("document: sweep: delete chunks: %w", err)
		}
		res.Partial++
	}
	return res, nil
}

// RetentionCandidates returns the metadata of the tenant's documents whose retention may have started: the
// removed ones and those of the files named (the closed files).
func (r *Repository) RetentionCandidates(ctx context.Context, tenant string, fileIDs []string) ([]Record, error) {
	or := bson.A{bson.D{{Key: "removal", Value: bson.D{{Key: "$exists", Value: true}}}}}
	if len(fileIDs) > 0 {
		or = append(or, bson.D{{Key: "file_id", Value: bson.D{{Key: "$in", Value: fileIDs}}}})
	}
	return r.docs.Find(ctx, tenant, bson.D{{Key: "$or", Value: or}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// Delete deletes a document of tenant for good: its content, then its metadata (so that a crash in between
// leaves metadata a second purge finds again, never a content nobody names). It reports whether the metadata
// was still there.
func (r *Repository) Delete(ctx context.Context, tenant, id string) (bool, error) {
	unlock := store.LockDocument(r.docs.Collection(), id)
	defer unlock()
	n, err := r.docs.Collection().CountDocuments(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}})
	if err != nil {
		return false, fmt.Errorf("document: delete: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if err := r.bucket.Delete(ctx, id); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
		return false, fmt.Errorf("document: delete content: %w", err)
	}
	res, err := r.docs.Collection().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}})
	if err != nil {
		return false, fmt.Errorf("document: delete metadata: %w", err)
	}
	return res.DeletedCount > 0, nil
}

// PurgeRecord is one retention purge as kept in CollPurges.
type PurgeRecord struct {
	ID        string         `bson:"_id"`
	Tenant    string         `bson:"tenant"`
	At        time.Time      `bson:"at"`
	By        string         `bson:"by"`
	Reason    string         `bson:"reason"`
	Documents []PurgedRecord `bson:"documents"`
}

// PurgedRecord is a document a purge deleted.
type PurgedRecord struct {
	DocumentID string     `bson:"document_id"`
	FileID     string     `bson:"file_id"`
	FileNumber string     `bson:"file_number"`
	Type       Type       `bson:"type"`
	DueOn      civil.Date `bson:"due_on"`
}

// InsertPurge keeps the record of a purge.
func (r *Repository) InsertPurge(ctx context.Context, p PurgeRecord) error {
	if p.Tenant == "" {
		return store.ErrNoTenant
	}
	if _, err := r.purges.InsertOne(ctx, p); err != nil {
		return fmt.Errorf("document: record purge: %w", err)
	}
	return nil
}
