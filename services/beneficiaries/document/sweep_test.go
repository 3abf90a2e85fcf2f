package document_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/beneficiaries/document"
)

// TestSweepOrphans stores contents as a process dying at the wrong moment leaves them (a content without its
// metadata, chunks without their GridFS file), backdates them past the grace period, and sweeps: they are gone;
// a content with metadata (removed or not), and orphans younger than the grace period, stay.
func TestSweepOrphans(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	repo := document.NewRepository(db, nil)
	bucket := db.GridFSBucket(options.GridFSBucket().SetName(document.Bucket))
	files, chunks := db.Collection(document.Bucket+".files"), db.Collection(document.Bucket+".chunks")
	now := time.Now()
	old := now.Add(-2 * time.Hour)

	const (
		orphan       = "0190c000-0000-7000-8000-000000000001"
		kept         = "0190c000-0000-7000-8000-000000000002"
		removed      = "0190c000-0000-7000-8000-000000000003"
		young        = "0190c000-0000-7000-8000-000000000004"
		partial      = "0190c000-0000-7000-8000-000000000005"
		youngPartial = "0190c000-0000-7000-8000-000000000006"
	)
	content := []byte("%PDF-1.4\n% contenu\n%%EOF\n")
	for _, id := range []string{orphan, young} {
		if err := bucket.UploadFromStreamWithID(ctx, id, id, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	doc := document.Document{FileID: "0190c000-0000-7000-8000-0000000000ff", Type: document.TypeLease, ContentType: document.PDF,
		Size: int64(len(content)), Name: "bail.pdf", UploadedBy: "u", UploadedAt: old}
	for _, id := range []string{kept, removed} {
		if err := repo.Store(ctx, "cpas-a", id, doc, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := repo.Load(ctx, "cpas-a", removed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Update(ctx, "cpas-a", removed, rec.Version, func(d *document.Document) error { return d.Remove("head", "erreur", now) }); err != nil {
		t.Fatal(err)
	}
	// Backdate every content but the young one (an exact _id filter each: FerretDB pushes those down).
	for _, id := range []string{orphan, kept, removed} {
		res, err := files.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "uploadDate", Value: old}}}})
		if err != nil || res.ModifiedCount != 1 {
			t.Fatalf("backdate %s: %v %+v", id, err, res)
		}
	}
	// An upload that died half-way two hours ago, and one in progress now: chunks, no GridFS file.
	if _, err := chunks.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: bson.NewObjectIDFromTimestamp(old)}, {Key: "files_id", Value: partial}, {Key: "n", Value: 0}, {Key: "data", Value: bson.Binary{Data: content}}},
		bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "files_id", Value: youngPartial}, {Key: "n", Value: 0}, {Key: "data", Value: bson.Binary{Data: content}}},
	}); err != nil {
		t.Fatal(err)
	}

	res, err := repo.SweepOrphans(ctx, now.Add(-document.DefaultOrphanGrace))
	if err != nil {
		t.Fatal(err)
	}
	if res != (document.SweepResult{Contents: 1, Partial: 1}) {
		t.Fatalf("sweep: %+v", res)
	}
	count := func(id string) (int64, int64) {
		f, err := files.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := chunks.CountDocuments(ctx, bson.D{{Key: "files_id", Value: id}})
		if err != nil {
			t.Fatal(err)
		}
		return f, c
	}
	for id, want := range map[string][2]int64{orphan: {0, 0}, partial: {0, 0}, kept: {1, 1}, removed: {1, 1}, young: {1, 1}, youngPartial: {0, 1}} {
		if f, c := count(id); f != want[0] || c != want[1] {
			t.Errorf("%s: %d files, %d chunks; want %v", id, f, c, want)
		}
	}
	body, err := repo.Open(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	_ = body.Close()
	if !bytes.Equal(got, content) {
		t.Fatalf("kept content: %q", got)
	}

	// A second sweep finds nothing more.
	if res, err := repo.SweepOrphans(ctx, now.Add(-document.DefaultOrphanGrace)); err != nil || res != (document.SweepResult{}) {
		t.Fatalf("second sweep: %+v %v", res, err)
	}
}
