package person

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// SetFileLinks (the file package's writer) and a user's update race on one person document: neither write may be
// lost. The user's update is guarded by the version it read, so it either lands or gets a conflict; the access
// list always ends as the file package set it.
func TestSetFileLinksNeverLosesAConcurrentUpdate(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	if err := EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	repo := NewRepository(db, nil)
	for round := range 8 {
		id := newID()
		p := Person{FamilyName: "Janssens", GivenNames: "Ann", RegisteredBy: "w1", NISSKey: "none:" + id}
		p.applyFileLinks(nil)
		if err := repo.insert(ctx, "t1", id, p, Viewer{}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var updateErr error
		wg.Go(func() {
			_, updateErr = repo.update(ctx, "t1", id, 1, func(p *Person) ([]events.Event, error) {
				p.GivenNames = "Anne"
				return nil, nil
			})
		})
		wg.Go(func() {
			if err := repo.SetFileLinks(ctx, "t1", id, []FileLink{{FileID: "f", Number: "2026/000001", Open: true, Worker: "w2", Team: "t9"}}); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		rec, err := repo.Load(ctx, "t1", id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.State.Access.Workers) != 1 || rec.State.Access.Workers[0] != "w2" || len(rec.State.Files) != 1 {
			t.Errorf("round %d: access lost: %+v", round, rec.State.Access)
		}
		switch {
		case updateErr == nil && rec.State.GivenNames != "Anne":
			t.Errorf("round %d: the acknowledged update was lost", round)
		case updateErr != nil && !errors.Is(updateErr, store.ErrConflict):
			t.Errorf("round %d: update failed with %v", round, updateErr)
		case updateErr != nil && rec.State.GivenNames != "Ann":
			t.Errorf("round %d: a refused update was written", round)
		}
		if rec.Version != 2 && rec.Version != 3 {
			t.Errorf("round %d: version %d", round, rec.Version)
		}
	}
	if err := repo.SetFileLinks(ctx, "t1", newID(), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown person: %v", err)
	}
	if err := repo.SetFileLinks(ctx, "t2", newID(), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("other tenant: %v", err)
	}
}

// Two registrations of one NISS at the same time: the unique index lets exactly one in.
func TestUniqueNISSUnderConcurrentInserts(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	if err := EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	repo := NewRepository(db, nil)
	var p Person
	if err := p.applyIdentity(goodIdentity(), today); err != nil {
		t.Fatal(err)
	}
	p.NISSKey = p.NISS.String()
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { errs[i] = repo.insert(ctx, "t1", newID(), p, Viewer{Head: true}) })
	}
	wg.Wait()
	ok, dup := 0, 0
	for _, err := range errs {
		var de *DuplicateNISSError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &de) && de.Visible:
			dup++
		default:
			t.Errorf("insert: %v", err)
		}
	}
	if ok != 1 || dup != 4 {
		t.Errorf("%d inserted, %d duplicates", ok, dup)
	}
	// Another tenant may hold the same NISS.
	if err := repo.insert(ctx, "t2", newID(), p, Viewer{}); err != nil {
		t.Errorf("other tenant: %v", err)
	}
}
