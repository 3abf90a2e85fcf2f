package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
)

type socialFile struct {
	Status string `bson:"status"`
	Worker string `bson:"worker,omitempty"`
	Notes  int    `bson:"notes"`
}

func fileEvent(t testing.TB, tenant, id, typ string) events.Event {
	t.Helper()
	e, err := events.New(typ, "beneficiaries", tenant, id, "corr", map[string]string{"file": id})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func outboxIDs(t testing.TB, repo *Repository[socialFile], id string) []string {
	t.Helper()
	var doc struct {
		Outbox []OutboxEntry `bson:"outbox"`
	}
	if err := repo.Collection().FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range doc.Outbox {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestRepositoryInsertLoadUpdate(t *testing.T) {
	ctx := context.Background()
	repo := NewRepository[socialFile](testkit.Database(t).Collection("files"), nil)
	opened := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.opened.v1")
	if err := repo.Insert(ctx, "t1", "f1", socialFile{Status: "open", Worker: "w1"}, opened); err != nil {
		t.Fatal(err)
	}
	if err := repo.Insert(ctx, "t1", "f1", socialFile{}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second insert: %v, want ErrDuplicate", err)
	}
	if _, err := repo.Load(ctx, "t2", "f1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load by another tenant: %v, want ErrNotFound", err)
	}
	if _, err := repo.Load(ctx, "t1", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load missing: %v", err)
	}
	if err := repo.Insert(ctx, "t1", "f2", socialFile{}, fileEvent(t, "t2", "f2", "x.v1")); err == nil {
		t.Fatal("insert accepted an event of another tenant")
	}

	closed := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.closed.v1")
	v, err := repo.Update(ctx, "t1", "f1", func(f *socialFile) ([]events.Event, error) {
		f.Status, f.Worker, f.Notes = "closed", "", 3
		return []events.Event{closed}, nil
	})
	if err != nil || v != 2 {
		t.Fatalf("update: v=%d err=%v", v, err)
	}
	got, err := repo.Load(ctx, "t1", "f1")
	if err != nil || got.Version != 2 || got.State != (socialFile{Status: "closed", Notes: 3}) {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	var raw bson.M
	_ = repo.Collection().FindOne(ctx, bson.D{{Key: "_id", Value: "f1"}}).Decode(&raw)
	if _, has := raw["worker"]; has {
		t.Fatal("the emptied omitempty field was not unset")
	}
	if ids := outboxIDs(t, repo, "f1"); len(ids) != 2 || ids[0] != opened.ID || ids[1] != closed.ID {
		t.Fatalf("outbox = %v, want [opened closed]", ids)
	}

	refused := errors.New("file is closed")
	if _, err := repo.Update(ctx, "t1", "f1", func(*socialFile) ([]events.Event, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Fatalf("fn error: %v", err)
	}
	if _, err := repo.Update(ctx, "t2", "f1", func(*socialFile) ([]events.Event, error) { return nil, nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update by another tenant: %v", err)
	}
	var conflict *ConflictError
	_, err = repo.UpdateIfVersion(ctx, "t1", "f1", 1, func(*socialFile) ([]events.Event, error) {
		t.Fatal("fn called despite a stale If-Match")
		return nil, nil
	})
	if !errors.As(err, &conflict) || conflict.Current != 2 || !errors.Is(err, ErrConflict) {
		t.Fatalf("stale If-Match: %v", err)
	}
	if v, err := repo.UpdateIfVersion(ctx, "t1", "f1", 2, func(f *socialFile) ([]events.Event, error) { f.Notes++; return nil, nil }); err != nil || v != 3 {
		t.Fatalf("If-Match current: v=%d %v", v, err)
	}
}

// Concurrent commands on one aggregate, all from the same loaded version: exactly one is saved, every other one
// gets a conflict, and the outbox holds exactly the winner's events after the earlier ones.
func TestRepositoryConcurrentUpdatesOneWins(t *testing.T) {
	ctx := context.Background()
	repo := NewRepository[socialFile](testkit.Database(t).Collection("files"), nil)
	first := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.opened.v1")
	if err := repo.Insert(ctx, "t1", "f1", socialFile{Status: "open"}, first); err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var loaded, wg sync.WaitGroup
	loaded.Add(writers)
	release := make(chan struct{})
	errs := make([]error, writers)
	evs := make([]events.Event, writers)
	for i := range writers {
		evs[i] = fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.noted.v1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = repo.Update(ctx, "t1", "f1", func(f *socialFile) ([]events.Event, error) {
				loaded.Done()
				<-release // every writer has read version 1 before any writes
				f.Notes = i + 1
				return []events.Event{evs[i]}, nil
			})
		}()
	}
	loaded.Wait()
	close(release)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner == -1:
			winner = i
		case err == nil:
			t.Fatalf("writers %d and %d both won", winner, i)
		case !errors.Is(err, ErrConflict):
			t.Fatalf("writer %d: %v, want ErrConflict", i, err)
		}
	}
	if winner == -1 {
		t.Fatal("no writer won")
	}
	got, _ := repo.Load(ctx, "t1", "f1")
	if got.Version != 2 || got.State.Notes != winner+1 {
		t.Fatalf("stored %+v, want version 2 with the winner's state", got)
	}
	if ids := outboxIDs(t, repo, "f1"); len(ids) != 2 || ids[0] != first.ID || ids[1] != evs[winner].ID {
		t.Fatalf("outbox = %v, want [first, winner's]", ids)
	}
}

func TestRepositoryFindIsTenantScopedWithoutOutbox(t *testing.T) {
	ctx := context.Background()
	repo := NewRepository[socialFile](testkit.Database(t).Collection("files"), nil)
	for i, tenant := range []string{"t1", "t1", "t2"} {
		id := fmt.Sprint("f", i)
		if err := repo.Insert(ctx, tenant, id, socialFile{Status: "open", Notes: i}, fileEvent(t, tenant, id, "be.cpas.beneficiaries.file.opened.v1")); err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Find(ctx, "t1", bson.D{{Key: "status", Value: "open"}}, options.Find().SetSort(bson.D{{Key: "notes", Value: -1}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "f1" || got[1].ID != "f0" || got[0].Version != 1 || got[0].Tenant != "t1" || got[0].State.Notes != 1 {
		t.Fatalf("found %+v", got)
	}
	if _, err := repo.Find(ctx, "", nil, nil); !errors.Is(err, ErrNoTenant) {
		t.Fatalf("empty tenant: %v", err)
	}
}
