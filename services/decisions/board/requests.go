package board

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/request"
)

// CollRequestClocks is the packed index of the open requests' decision clocks.
const CollRequestClocks = "board_request_clocks"

// RequestClocks is the first Source: the decision clock of every open request (registered, in inquiry,
// proposed), due legalclock.DecisionDue. It reads a packed index of the open requests (see packed) kept by Sync,
// which request.Service calls after each write of a request (request.Service.OnChange); a tenant without an
// index yet is built from the register on first read, and Reconcile rebuilds every tenant's (run hourly).
type RequestClocks struct {
	idx  packed
	repo *request.Repository
	db   *mongo.Database

	mu     sync.Mutex
	parsed map[string]parsedClocks // by tenant

	scanned func() // tests: called after a rebuild's scan
}

type parsedClocks struct {
	versions Versions
	shards   [Shards][]requestClock
	clocks   []requestClock // all, sorted by due date, then number
}

// NewRequestClocks works on db.
func NewRequestClocks(db *mongo.Database, repo *request.Repository) *RequestClocks {
	return &RequestClocks{idx: newPacked(db, CollRequestClocks), repo: repo, db: db, parsed: map[string]parsedClocks{}}
}

// Clocks names the clock of this source.
func (*RequestClocks) Clocks() []string { return []string{ClockDecision} }

func requestLine(id string, q request.Request) string {
	return strings.Join([]string{id, q.DecisionDue.String(), q.FileID, clean(q.Number), string(q.Kind), string(q.Status), q.ReceivedOn.String()}, "\t")
}

// Sync brings the index in line with the stored request id (re-read, so that concurrent changes land in any
// order): an open request is put, a closed or missing one removed. Idempotent; a failure leaves the index stale
// until the next Sync of that request or Reconcile.
func (s *RequestClocks) Sync(ctx context.Context, tenant, id string) error {
	if id == "" || strings.ContainsAny(id, "\t\n") {
		return fmt.Errorf("board: request id %q", id)
	}
	rec, err := s.repo.Load(ctx, tenant, id)
	if errors.Is(err, kit.ErrNotFound) {
		return s.idx.set(ctx, tenant, id, "")
	}
	if err != nil {
		return err
	}
	if !rec.State.Status.Open() {
		return s.idx.set(ctx, tenant, id, "")
	}
	return s.idx.set(ctx, tenant, id, requestLine(id, rec.State))
}

// Rebuild writes tenant's index from the register (a scan of the tenant's open requests); a Sync made during the
// scan is kept (see packed.replace).
func (s *RequestClocks) Rebuild(ctx context.Context, tenant string) error {
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "open", Value: true}})
	if err != nil {
		return err
	}
	return s.idx.replace(ctx, tenant, func(ctx context.Context) (map[string]string, error) {
		cur, err := s.db.Collection(request.CollRequests).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
		if err != nil {
			return nil, fmt.Errorf("board: open requests: %w", err)
		}
		defer cur.Close(ctx)
		lines := map[string]string{}
		for cur.Next(ctx) {
			v, err := store.Decode[request.Request](cur.Current, tenant)
			if err != nil {
				return nil, err
			}
			if v.State.Status.Open() {
				lines[v.ID] = requestLine(v.ID, v.State)
			}
		}
		if err := cur.Err(); err != nil {
			return nil, err
		}
		if s.scanned != nil {
			s.scanned()
		}
		return lines, nil
	})
}

// Reconcile rebuilds the index of every tenant that has one (the hourly repair of a Sync that failed).
func (s *RequestClocks) Reconcile(ctx context.Context) error {
	tenants, err := s.idx.tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if err := s.Rebuild(ctx, t); err != nil {
			return err
		}
		if _, err := s.sorted(ctx, t); err != nil { // and keep it parsed: the first reader finds it warm
			return err
		}
	}
	return nil
}

// requestClock is one parsed line.
type requestClock struct {
	id, fileID, number, kind, status string
	due, received                    civil.Date
	key                              int // due as yyyymmdd, for the sort
}

// sorted reads the tenant's open requests sorted by due date then number (shared: never change it).
func (s *RequestClocks) sorted(ctx context.Context, tenant string) ([]requestClock, error) {
	snap, err := s.idx.load(ctx, tenant)
	if errors.Is(err, errNotBuilt) {
		if err := s.Rebuild(ctx, tenant); err != nil {
			return nil, err
		}
		snap, err = s.idx.load(ctx, tenant)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p, ok := s.parsed[tenant]
	s.mu.Unlock()
	if ok && p.versions == snap.versions {
		return p.clocks, nil
	}
	var next parsedClocks
	next.versions = snap.versions
	n := 0
	for i, ls := range snap.lines {
		if ok && p.versions[i] == snap.versions[i] {
			next.shards[i] = p.shards[i]
		} else {
			next.shards[i] = parseClocks(ls)
		}
		n += len(next.shards[i])
	}
	out := mergeClocks(next.shards, n)
	s.mu.Lock()
	if len(s.parsed) >= cacheTenants {
		clear(s.parsed)
	}
	next.clocks = out
	s.parsed[tenant] = next
	s.mu.Unlock()
	return out, nil
}

func compareClocks(a, b requestClock) int {
	if a.key != b.key {
		return a.key - b.key
	}
	return strings.Compare(a.number, b.number)
}

// mergeClocks merges the shards, each sorted, into one sorted list of n.
func mergeClocks(shards [Shards][]requestClock, n int) []requestClock {
	out := make([]requestClock, 0, n)
	var at [Shards]int
	for len(out) < n {
		best := -1
		var bk int
		for i := range shards {
			if at[i] >= len(shards[i]) {
				continue
			}
			c := &shards[i][at[i]]
			if best < 0 || c.key < bk || (c.key == bk && c.number < shards[best][at[best]].number) {
				best, bk = i, c.key
			}
		}
		if best < 0 {
			break
		}
		out = append(out, shards[best][at[best]])
		at[best]++
	}
	return out
}

// parseClocks reads a shard's lines, sorted by due date then number.
func parseClocks(lines []string) []requestClock {
	out := make([]requestClock, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 7 {
			continue
		}
		due, err1 := civil.Parse(f[1])
		received, err2 := civil.Parse(f[6])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, requestClock{id: f[0], due: due, fileID: f[2], number: f[3], kind: f[4], status: f[5], received: received,
			key: due.Year()*10000 + int(due.Month())*100 + due.Day()})
	}
	slices.SortFunc(out, compareClocks)
	return out
}

// open reads the tenant's open requests restricted to fileIDs (nil: all), sorted by due date then number.
func (s *RequestClocks) open(ctx context.Context, tenant string, fileIDs []string) ([]requestClock, error) {
	if fileIDs != nil && len(fileIDs) == 0 {
		return nil, nil
	}
	all, err := s.sorted(ctx, tenant)
	if err != nil || fileIDs == nil {
		return all, err
	}
	keep := make(map[string]bool, len(fileIDs))
	for _, id := range fileIDs {
		keep[id] = true
	}
	var out []requestClock
	for _, c := range all {
		if keep[c.fileID] {
			out = append(out, c)
		}
	}
	return out, nil
}

// item is the board's line of c; the deadline's sentences are computed for the items shown only.
func (c requestClock) item() Item {
	kind, received := legalclock.Kind(c.kind), c.received
	return Item{Clock: ClockDecision, RefType: RefRequest, RefID: c.id, RequestID: c.id, Number: c.number, FileID: c.fileID,
		Kind: kind, Status: c.status, ReceivedOn: received, Deadline: legalclock.Deadline{From: received, Due: c.due},
		complete: func() (legalclock.Deadline, error) { return legalclock.DecisionDue(kind, received) }}
}

// Due lists the open requests' decision clocks of fileIDs, soonest first, at most limit. Their Deadline holds
// From and Due only: the board computes the rule and the sentences for the items it shows.
func (s *RequestClocks) Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Item, error) {
	items, _, err := s.DueCount(ctx, tenant, fileIDs, limit, civil.Date{})
	return items, err
}

// DueCount is Due with the totals on today, from the same read.
func (s *RequestClocks) DueCount(ctx context.Context, tenant string, fileIDs []string, limit int64, today civil.Date) ([]Item, Totals, error) {
	all, err := s.open(ctx, tenant, fileIDs)
	if err != nil {
		return nil, Totals{}, err
	}
	var t Totals
	if !today.IsZero() {
		t = count(all, today, func(c requestClock) civil.Date { return c.due })
	}
	n := min(int64(len(all)), limit)
	items := make([]Item, 0, n)
	for _, c := range all[:n] {
		items = append(items, c.item())
	}
	return items, t, nil
}

// count tallies the open, late and due-this-week clocks of a list sorted by due date.
func count[T any](all []T, today civil.Date, due func(T) civil.Date) Totals {
	t := Totals{Open: len(all)}
	week := today.AddDays(WeekDays - 1)
	for _, c := range all {
		d := due(c)
		if d.After(week) {
			break
		}
		if d.Before(today) {
			t.Late++
		} else {
			t.DueThisWeek++
		}
	}
	return t
}
