package store

import (
	"fmt"
	"hash/fnv"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// documentLocks serialise this process's writes to one document (see the package comment: FerretDB v1.24 loses
// concurrent updates of a document). Striped: two documents may share a stripe, which only costs a little
// waiting. A holder never takes a second lock, so stripes cannot deadlock.
var documentLocks [256]sync.Mutex

// LockDocument locks the document id of coll for this process and returns the unlock function. Hold it only
// around the single update call, never around I/O to another system.
func LockDocument(coll *mongo.Collection, id any) (unlock func()) {
	if rv, ok := id.(bson.RawValue); ok {
		if s, isString := rv.StringValueOK(); isString {
			id = s // the relay holds ids as read; the repository as strings: one lock for both
		}
	}
	h := fnv.New32a()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%v", coll.Database().Name(), coll.Name(), id)
	m := &documentLocks[h.Sum32()%uint32(len(documentLocks))]
	m.Lock()
	return m.Unlock
}

// LockDocuments locks the documents ids of coll for this process (a batch written at once: each stripe once, in
// stripe order, so two batches cannot deadlock) and returns the unlock function. A holder of a single
// LockDocument never waits for a batch while holding another lock, so the two kinds do not deadlock either.
func LockDocuments(coll *mongo.Collection, ids []string) (unlock func()) {
	var taken [len(documentLocks)]bool
	for _, id := range ids {
		h := fnv.New32a()
		_, _ = fmt.Fprintf(h, "%s\x00%s\x00%v", coll.Database().Name(), coll.Name(), id)
		taken[h.Sum32()%uint32(len(documentLocks))] = true
	}
	for i := range taken {
		if taken[i] {
			documentLocks[i].Lock()
		}
	}
	return func() {
		for i := range taken {
			if taken[i] {
				documentLocks[i].Unlock()
			}
		}
	}
}
