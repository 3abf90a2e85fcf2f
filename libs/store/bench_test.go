package store

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
)

// engine names the MongoDB a benchmark ran on, for its output.
func engine() string {
	if os.Getenv("MONGO_URI") != "" {
		return "MONGO_URI"
	}
	return "embedded FerretDB (SQLite)"
}

// BenchmarkRepositoryUpdate measures one command's write: load the aggregate, change it, and save state + version
// + one outbox event in a single update. Run: go test ./store -run '^$' -bench RepositoryUpdate
// (MONGO_URI=… to measure a real MongoDB).
func BenchmarkRepositoryUpdate(b *testing.B) {
	ctx := context.Background()
	repo := NewRepository[socialFile](testkit.Database(b).Collection("files"), nil)
	const docs = 100
	for i := range docs {
		if err := repo.Insert(ctx, "t1", fmt.Sprint("f", i), socialFile{Status: "open"}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("engine: %s", engine())
	i := 0
	for b.Loop() {
		id := fmt.Sprint("f", i%docs)
		i++
		_, err := repo.Update(ctx, "t1", id, func(f *socialFile) ([]events.Event, error) {
			f.Notes++
			return []events.Event{fileEvent(b, "t1", id, "be.cpas.beneficiaries.note.added.v1")}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
