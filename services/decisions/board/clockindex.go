package board

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Clock is an open clock as a package records it in a ClockIndex.
type Clock struct {
	// Key identifies the clock in its index (e.g. "<decision id>/notification"); no tab or newline.
	Key string
	// Clock is one of the Clock… constants; RefType/RefID the resource to open (RefDecision, RefUrgent…).
	Clock, RefType, RefID string
	RequestID, Number     string
	FileID, PersonID      string
	Kind                  legalclock.Kind
	Status                string
	// Deadline: Due (zero for a flag without date: it sorts first), Reason, From and the FR/NL sentences.
	Deadline legalclock.Deadline
}

// ClockIndex is a ready-made Source for a package with many open clocks (notifications, reviews, MediPrima
// encodings, PIIS…): a packed index like the request clocks' (see packed), written by its owner and read by the
// board. The owner calls Put after each write that opens or moves a clock and Remove when it stops (both
// idempotent; call them after the document's own write and retry them, or rebuild with Replace, whose list reads
// the whole truth of a tenant). Register it with Service.Add.
//
//	idx := board.NewClockIndex(db, "decision", board.ClockNotification, board.ClockMediPrima)
//	app.Board.Add(idx)
//	_ = idx.Put(ctx, tenant, board.Clock{Key: id + "/notification", Clock: board.ClockNotification, RefType: board.RefDecision, …})
type ClockIndex struct {
	idx    packed
	clocks []string

	mu     sync.Mutex
	parsed map[string]parsedIndex
}

type parsedIndex struct {
	versions Versions
	shards   [Shards][]Item
	items    []Item // sorted by due date (a zero due first), then key
}

// NewClockIndex keeps the clocks of name (collection "board_clocks_<name>") that may be any of clocks.
func NewClockIndex(db *mongo.Database, name string, clocks ...string) *ClockIndex {
	return &ClockIndex{idx: newPacked(db, "board_clocks_"+name), clocks: clocks, parsed: map[string]parsedIndex{}}
}

// Clocks are the clocks the index may hold.
func (x *ClockIndex) Clocks() []string { return x.clocks }

func clockLine(c Clock) (string, error) {
	if c.Key == "" || strings.ContainsAny(c.Key, "\t\n") {
		return "", fmt.Errorf("board: clock key %q", c.Key)
	}
	if !slices.Contains(Clocks, c.Clock) {
		return "", fmt.Errorf("board: unknown clock %q", c.Clock)
	}
	d := c.Deadline
	return strings.Join([]string{c.Key, c.Clock, c.RefType, c.RefID, c.RequestID, clean(c.Number), c.FileID, c.PersonID,
		string(c.Kind), clean(c.Status), d.Due.String(), string(d.Reason), d.From.String(), clean(d.FR), clean(d.NL)}, "\t"), nil
}

// Put records (or moves) an open clock of tenant.
func (x *ClockIndex) Put(ctx context.Context, tenant string, c Clock) error {
	line, err := clockLine(c)
	if err != nil {
		return err
	}
	return x.idx.set(ctx, tenant, c.Key, line)
}

// Remove drops a clock (stopped, or never there).
func (x *ClockIndex) Remove(ctx context.Context, tenant, key string) error {
	return x.idx.set(ctx, tenant, key, "")
}

// Replace rebuilds tenant's index from list, which reads every open clock of tenant from the owner's documents
// (the whole truth of the tenant). A Put or Remove made while list reads, by this process or another, is kept:
// the index notes where it stood before calling list (see packed.replace).
func (x *ClockIndex) Replace(ctx context.Context, tenant string, list func(context.Context) ([]Clock, error)) error {
	return x.idx.replace(ctx, tenant, func(ctx context.Context) (map[string]string, error) {
		cs, err := list(ctx)
		if err != nil {
			return nil, err
		}
		lines := make(map[string]string, len(cs))
		for _, c := range cs {
			l, err := clockLine(c)
			if err != nil {
				return nil, err
			}
			lines[c.Key] = l
		}
		return lines, nil
	})
}

func parseItems(lines []string) []Item {
	out := make([]Item, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 15 {
			continue
		}
		var due, from civil.Date
		if f[10] != "" {
			due, _ = civil.Parse(f[10])
		}
		if f[12] != "" {
			from, _ = civil.Parse(f[12])
		}
		out = append(out, Item{Clock: f[1], RefType: f[2], RefID: f[3], RequestID: f[4], Number: f[5], FileID: f[6], PersonID: f[7],
			Kind: legalclock.Kind(f[8]), Status: f[9],
			Deadline: legalclock.Deadline{Due: due, Nominal: due, Reason: legalclock.Reason(f[11]), From: from, FR: f[13], NL: f[14]}})
	}
	return out
}

// sorted reads the tenant's clocks sorted (shared: never change it).
func (x *ClockIndex) sorted(ctx context.Context, tenant string) ([]Item, error) {
	snap, err := x.idx.loadIf(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	p, ok := x.parsed[tenant]
	x.mu.Unlock()
	if ok && p.versions == snap.versions {
		return p.items, nil
	}
	next := parsedIndex{versions: snap.versions}
	var all []Item
	for i, ls := range snap.lines {
		if ok && p.versions[i] == snap.versions[i] {
			next.shards[i] = p.shards[i]
		} else {
			next.shards[i] = parseItems(ls)
		}
		all = append(all, next.shards[i]...)
	}
	slices.SortStableFunc(all, func(a, b Item) int {
		if c := a.Deadline.Due.Compare(b.Deadline.Due); c != 0 {
			return c
		}
		return strings.Compare(a.RefID+a.Clock, b.RefID+b.Clock)
	})
	next.items = all
	x.mu.Lock()
	if len(x.parsed) >= cacheTenants {
		clear(x.parsed)
	}
	x.parsed[tenant] = next
	x.mu.Unlock()
	return all, nil
}

// Due lists the clocks of fileIDs (nil: all; empty: none), soonest first, at most limit.
func (x *ClockIndex) Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Item, error) {
	items, _, err := x.DueCount(ctx, tenant, fileIDs, limit, civil.Date{})
	return items, err
}

// DueCount is Due with the totals on today (the flags without a date count as open, neither late nor due).
func (x *ClockIndex) DueCount(ctx context.Context, tenant string, fileIDs []string, limit int64, today civil.Date) ([]Item, Totals, error) {
	if fileIDs != nil && len(fileIDs) == 0 {
		return nil, Totals{}, nil
	}
	all, err := x.sorted(ctx, tenant)
	if err != nil {
		return nil, Totals{}, err
	}
	if fileIDs != nil {
		keep := make(map[string]bool, len(fileIDs))
		for _, id := range fileIDs {
			keep[id] = true
		}
		var some []Item
		for _, it := range all {
			if keep[it.FileID] {
				some = append(some, it)
			}
		}
		all = some
	}
	var t Totals
	if !today.IsZero() {
		undated := 0
		for undated < len(all) && all[undated].Deadline.Due.IsZero() {
			undated++
		}
		t = count(all[undated:], today, func(it Item) civil.Date { return it.Deadline.Due })
		t.Open += undated
	}
	return slices.Clone(all[:min(int64(len(all)), limit)]), t, nil
}
