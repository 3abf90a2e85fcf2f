// Package board is the deadline board (domain.md §4): every open legal clock — a request's decision, a
// decision's notification, MediPrima encoding, PIIS conclusion, yearly review, an urgent decision awaiting
// ratification… — with where it stands today (upcoming, due today, late, in days) and why, in French and Dutch,
// sorted by due date. A social worker sees the clocks of the files assigned to them or to one of their teams; the
// head sees all and may narrow to one worker, one clock, or the late ones only. Totals count the late clocks and
// those due within the week.
//
// # Sources
//
// The board merges Sources. A Source returns the open clocks of a tenant, restricted to fileIDs (nil: every file
// of the tenant; empty non-nil: none), sorted by due date (Item.Deadline.Due, earliest first), at most limit:
//
//	type Source interface {
//		Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Item, error)
//	}
//
// For page p of size n the board asks every source for its first p×n clocks and merges them, so pagination is
// exact. A source fills Clock (one of the Clock… constants), RefType/RefID (the resource to open: RefRequest with
// the request id, RefDecision with a decision id, RefUrgent with an urgent decision id; RequestID too when the
// clock belongs to a request), FileID, Deadline (legalclock: Due, Reason and the FR/NL sentence saying why), and
// what it knows of Number, Kind, Status, ReceivedOn. The board fills FileNumber, PersonID (when empty) and
// Assignee from its directory of files, and Due/StatusFR/StatusNL from today. A clock with no due date (a period
// that does not run, or a flag such as a non-ratified urgent decision) sorts first with Due zero and shows its
// sentence.
//
// A source may also implement
//   - Clocker (Clocks() []string): the clocks it can return, so that a clock filter skips it;
//   - Counter (DueCount): Due plus its Totals from the same read. Without it the board counts the source's late
//     and due-this-week clocks by asking for more until past the week.
//
// Register a source with Service.Add (run.go wires them). A source must be cheap on FerretDB v1.24 at scale: it
// pushes down top-level equalities only (on PostgreSQL; only _id on SQLite) and sorts and limits in Go after
// decoding every matched document (~45 µs each). RequestClocks, the decision clocks of requests, keeps a packed
// index (a few large documents per tenant, see packed) for that reason; BENCHMARKS.md has the numbers. A package
// with many clocks can use the same machinery: NewClockIndex gives a Source (with Clocker and Counter) that it
// feeds with Put / Remove after its own writes and Replace to rebuild.
//
// The board reads the files (number, applicant, assignee, team) from its Directory, a packed copy of the
// projection's open files kept by projection.Repository.OnFile; a worker's board covers the open files assigned
// to them or to one of their teams.
package board

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
)

// RouteBoard is the board's route.
const RouteBoard = "GET /v1/board"

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteBoard} }

// The clocks of the board (Item.Clock).
const (
	ClockDecision       = "decision"        // a request's decision (legalclock.DecisionDue)
	ClockNotification   = "notification"    // a decision's notification, 8 days
	ClockAppeal         = "appeal"          // the appeal window of a notified decision
	ClockPIISConclusion = "piis_conclusion" // the PIIS to conclude
	ClockPIISEvaluation = "piis_evaluation" // a PIIS evaluation
	ClockReview         = "review"          // the yearly review of a running decision
	ClockMediPrima      = "mediprima"       // an AMU decision's MediPrima encoding, 45 days
	ClockRatification   = "ratification"    // an urgent decision of the president awaiting (or refused) ratification
)

// Clocks lists the clocks the board knows (the clock filter accepts these).
var Clocks = []string{ClockDecision, ClockNotification, ClockAppeal, ClockPIISConclusion, ClockPIISEvaluation,
	ClockReview, ClockMediPrima, ClockRatification}

// The resources a clock links to (Item.RefType).
const (
	RefRequest  = "request"
	RefDecision = "decision"
	RefUrgent   = "urgent_decision"
)

// WeekDays is the window of Totals.DueThisWeek: today and the 6 days after.
const WeekDays = 7

// Item is one line of the board: one open clock.
type Item struct {
	// Clock is which legal clock (Clock… constants).
	Clock string `json:"clock"`
	// RefType and RefID name the resource to open (RefRequest with a request id, RefDecision, RefUrgent).
	RefType string `json:"ref_type"`
	RefID   string `json:"ref_id"`
	// RequestID is the request the clock belongs to, when it belongs to one.
	RequestID  string `json:"request_id,omitempty"`
	Number     string `json:"number,omitempty"`
	FileID     string `json:"file_id"`
	FileNumber string `json:"file_number"`
	PersonID   string `json:"person_id,omitempty"`
	// Assignee is the user id of the file's social worker.
	Assignee   string          `json:"assignee"`
	Kind       legalclock.Kind `json:"kind,omitempty"`
	Status     string          `json:"status,omitempty"`
	ReceivedOn civil.Date      `json:"received_on,omitzero"`
	// Deadline is the due date with its rule and the sentence saying why, in French and Dutch (FR, NL).
	Deadline legalclock.Deadline  `json:"deadline"`
	Due      legalclock.DueStatus `json:"due"`
	// StatusFR and StatusNL say where the deadline stands today ("en retard de 3 jours").
	StatusFR string `json:"status_fr"`
	StatusNL string `json:"status_nl"`
	// Change names the change of a decision the clock is about ("revision:<id>"…), when it is one.
	Change string `json:"change,omitempty"`

	// complete, when set, computes the full Deadline (a source may give only its Due, Reason and From for the
	// sort, and the sentences for the items shown only).
	complete func() (legalclock.Deadline, error)
}

// Totals count clocks on the board's filters (worker, clock; not the page nor "late only").
type Totals struct {
	Open int `json:"open"`
	// Late counts the clocks past their due date.
	Late int `json:"late"`
	// DueThisWeek counts the clocks due today or in the 6 days after.
	DueThisWeek int `json:"due_this_week"`
}

// Board is a page of the board.
type Board struct {
	Today    civil.Date `json:"today"`
	Items    []Item     `json:"items"`
	Totals   Totals     `json:"totals"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
	// More tells whether a next page has items.
	More bool `json:"more"`
}

// Source is a provider of open clocks (see the package comment).
type Source interface {
	Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Item, error)
}

// Clocker is a Source that names the clocks it returns.
type Clocker interface {
	Clocks() []string
}

// Counter is a Source that counts its clocks in the same read as Due.
type Counter interface {
	DueCount(ctx context.Context, tenant string, fileIDs []string, limit int64, today civil.Date) ([]Item, Totals, error)
}

// Service builds the board.
type Service struct {
	Sources   []Source
	Directory *Directory
	Requests  *RequestClocks
	Proj      *projection.Repository
	Audit     *kit.Auditor
	Now       func() time.Time
	// Logger receives the failures of the index upkeep (ids only); nil discards them.
	Logger *slog.Logger
}

// EnsureIndexes creates the package's indexes (the packed collections are read by tenant).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return nil
}

// New assembles the board over the request register, with the request decision clocks as first source; now nil
// is time.Now. It sets reqs.OnChange so that every write of a request reaches the index.
func New(reqs *request.Service, now func() time.Time) *Service {
	db := reqs.Repo.Database()
	s := &Service{Directory: NewDirectory(db, reqs.Proj), Requests: NewRequestClocks(db, reqs.Repo), Proj: reqs.Proj,
		Audit: reqs.Audit, Now: now}
	s.Sources = []Source{s.Requests}
	reqs.OnChange = func(ctx context.Context, tenant, id string) {
		if err := s.Requests.Sync(ctx, tenant, id); err != nil && s.Logger != nil {
			s.Logger.Warn("board: request clock index not updated (repaired by the hourly reconcile)", "request_id", id, "error", err.Error())
		}
	}
	return s
}

// Reconcile rebuilds the request clock index and the file directory of every tenant that has them (run hourly:
// repairs a lost update; unchanged shards are left alone) and loads them in memory (run at start too, the process's first board reads are then warm).
func (s *Service) Reconcile(ctx context.Context) {
	if err := s.Requests.Reconcile(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
		s.Logger.Warn("board: reconcile failed", "error", err.Error())
	}
	tenants, err := s.Directory.idx.tenants(ctx)
	for _, t := range tenants {
		if err == nil {
			err = s.Directory.Rebuild(ctx, t)
		}
		if err == nil {
			_, err = s.Directory.Files(ctx, t)
		}
	}
	if err != nil && ctx.Err() == nil && s.Logger != nil {
		s.Logger.Warn("board: loading the file directories failed", "error", err.Error())
	}
}

// Add registers a source.
func (s *Service) Add(src Source) { s.Sources = append(s.Sources, src) }

// Rebuild rebuilds tenant's packed indexes (directory and request clocks) from the stored documents.
func (s *Service) Rebuild(ctx context.Context, tenant string) error {
	if err := s.Directory.Rebuild(ctx, tenant); err != nil {
		return err
	}
	return s.Requests.Rebuild(ctx, tenant)
}

// Query narrows the board.
type Query struct {
	// Worker, for the head: only the files that worker sees (assigned to them or to one of their teams).
	Worker string
	// Clock keeps one clock (Clocks).
	Clock string
	// LateOnly keeps the clocks past their due date.
	LateOnly bool
	Page     int
	PageSize int
	Purpose  string
}

func (s *Service) today() civil.Date {
	if s.Now != nil {
		return civil.Of(s.Now())
	}
	return civil.Today()
}

// Build reads the board for a.
func (s *Service) Build(ctx context.Context, a kit.Actor, q Query) (Board, error) {
	if err := kit.CheckPurpose(q.Purpose); err != nil {
		return Board{}, err
	}
	if a.Tenant == "" {
		return Board{}, store.ErrNoTenant
	}
	q.Page, q.PageSize = max(q.Page, 1), max(q.PageSize, 1)
	today := s.today()
	files, err := s.Directory.Files(ctx, a.Tenant)
	if err != nil {
		return Board{}, err
	}
	var ids []string
	switch {
	case !a.IsHead() && q.Worker != "" && q.Worker != a.UserID:
		ids = []string{}
	case !a.IsHead():
		ids, err = s.visible(ctx, a.Tenant, a.UserID, files)
	case q.Worker != "":
		ids, err = s.visible(ctx, a.Tenant, q.Worker, files)
	}
	if err != nil {
		return Board{}, err
	}
	need := q.Page*q.PageSize + 1 // one more tells whether there is a next page
	keep := func(it Item) (ok, stop bool) {
		if q.LateOnly && !it.Deadline.Due.IsZero() && !it.Deadline.Due.Before(today) {
			return false, true // sorted by due date: nothing late after this one
		}
		if q.LateOnly && it.Deadline.Due.IsZero() {
			return false, false
		}
		return q.Clock == "" || it.Clock == q.Clock, false
	}
	out := Board{Today: today, Items: []Item{}, Page: q.Page, PageSize: q.PageSize}
	var all []Item
	for _, src := range s.Sources {
		if c, ok := src.(Clocker); ok && q.Clock != "" && !slices.Contains(c.Clocks(), q.Clock) {
			continue
		}
		items, t, err := collect(ctx, src, a.Tenant, ids, need, today, keep, q.Clock)
		if err != nil {
			return Board{}, err
		}
		all = append(all, items...)
		out.Totals.Open += t.Open
		out.Totals.Late += t.Late
		out.Totals.DueThisWeek += t.DueThisWeek
	}
	slices.SortStableFunc(all, func(x, y Item) int {
		if c := x.Deadline.Due.Compare(y.Deadline.Due); c != 0 {
			return c
		}
		// Same day: by clock, then as each source ordered them (a source's first n must stay the board's first
		// n of that source, for the pages to follow one another).
		return strings.Compare(x.Clock, y.Clock)
	})
	from := (q.Page - 1) * q.PageSize
	if from < len(all) {
		page := all[from:min(len(all), from+q.PageSize)]
		out.More = len(all) > from+q.PageSize
		missing := []string{}
		for _, it := range page {
			missing = append(missing, it.FileID)
		}
		extra, err := s.Directory.Lookup(ctx, a.Tenant, files, missing)
		if err != nil {
			return Board{}, err
		}
		for _, it := range page {
			f, ok := files.Get(it.FileID)
			if !ok {
				f = extra[it.FileID]
			}
			if it.complete != nil {
				dl, err := it.complete()
				if err != nil {
					return Board{}, err
				}
				it.Deadline, it.complete = dl, nil
			}
			it.FileNumber, it.Assignee = f.Number, f.Assignee
			if it.PersonID == "" {
				it.PersonID = f.PersonID
			}
			it.Due = it.Deadline.Status(today)
			it.StatusFR, it.StatusNL = it.Due.Text("fr"), it.Due.Text("nl")
			out.Items = append(out.Items, it)
		}
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "board.read", ResourceType: "board", Purpose: q.Purpose})
	return out, nil
}

// visible lists the open files user sees (theirs and their teams').
func (s *Service) visible(ctx context.Context, tenant, user string, files *Files) ([]string, error) {
	teams, err := s.Proj.TeamsOf(ctx, tenant, user)
	if err != nil {
		return nil, err
	}
	return Visible(files, user, teams), nil
}

// collect reads up to need kept items of src and its totals (on the clock filter), asking for more when the
// filters dropped some.
func collect(ctx context.Context, src Source, tenant string, ids []string, need int, today civil.Date,
	keep func(Item) (ok, stop bool), clock string) ([]Item, Totals, error) {
	var totals Totals
	counted := false
	limit := need
	for {
		var items []Item
		var err error
		if c, ok := src.(Counter); ok && !counted {
			var t Totals
			items, t, err = c.DueCount(ctx, tenant, ids, int64(limit), today)
			if cl, ok := src.(Clocker); ok && clock != "" && len(cl.Clocks()) > 1 {
				counted = false // a counter of several clocks counts them all: count the filtered ones below
			} else {
				totals, counted = t, true
			}
		} else {
			items, err = src.Due(ctx, tenant, ids, int64(limit))
		}
		if err != nil {
			return nil, Totals{}, err
		}
		var out []Item
		stopped := false
		for _, it := range items {
			ok, stop := keep(it)
			if stop {
				stopped = true
				break
			}
			if ok {
				out = append(out, it)
			}
		}
		exhausted := len(items) < limit
		if len(out) >= need || stopped || exhausted {
			if !counted {
				t, err := countSource(ctx, src, tenant, ids, today, clock, items, exhausted)
				if err != nil {
					return nil, Totals{}, err
				}
				totals = t
			}
			return out[:min(len(out), need)], totals, nil
		}
		limit *= 4
	}
}

// countSource counts a source's clocks (of clock, when set) up to the end of the week, asking for more while
// the items read end before it.
func countSource(ctx context.Context, src Source, tenant string, ids []string, today civil.Date, clock string, items []Item, exhausted bool) (Totals, error) {
	week := today.AddDays(WeekDays - 1)
	limit := max(len(items), 64)
	for !exhausted && (len(items) == 0 || !items[len(items)-1].Deadline.Due.After(week)) {
		limit *= 4
		var err error
		if items, err = src.Due(ctx, tenant, ids, int64(limit)); err != nil {
			return Totals{}, err
		}
		exhausted = len(items) < limit
	}
	var t Totals
	for _, it := range items {
		if clock != "" && it.Clock != clock {
			continue
		}
		d := it.Deadline.Due
		switch {
		case d.After(week):
		case d.IsZero():
		case d.Before(today):
			t.Late++
		default:
			t.DueThisWeek++
		}
		if d.IsZero() || !d.After(week) {
			t.Open++
		}
	}
	if exhausted {
		t.Open = 0
		for _, it := range items {
			if clock == "" || it.Clock == clock {
				t.Open++
			}
		}
	}
	return t, nil
}

// KitRoutes are the package's routes.
func (s *Service) KitRoutes() []kit.Route {
	return []kit.Route{{Pattern: RouteBoard, Endpoint: func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.Build(ctx, a, req.(Query))
	}, Decode: func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var fs problem.Fields
		q := Query{Worker: v.Get("worker"), Clock: v.Get("clock"), Page: 1, PageSize: 100, Purpose: r.Header.Get(kit.PurposeHeader)}
		if q.Worker != "" && !kit.IsUUID(q.Worker) {
			fs.Add("worker", "invalid")
		}
		if q.Clock != "" && !slices.Contains(Clocks, q.Clock) {
			fs.Add("clock", "board.clock_invalid")
		}
		switch v.Get("late") {
		case "", "false":
		case "true":
			q.LateOnly = true
		default:
			fs.Add("late", "invalid")
		}
		for name, dst := range map[string]*int{"page": &q.Page, "page_size": &q.PageSize} {
			if s := v.Get(name); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || (name == "page_size" && n > 500) || (name == "page" && n > 1000) {
					fs.Add(name, "invalid")
				}
				*dst = n
			}
		}
		return q, fs.Err()
	}}}
}

func init() {
	problem.RegisterMessages("board.clock_invalid", map[string]string{
		"fr": "Échéance inconnue : " + strings.Join(Clocks, ", ") + ".",
		"nl": "Onbekende termijn: " + strings.Join(Clocks, ", ") + ".",
		"de": "Unbekannte Frist: " + strings.Join(Clocks, ", ") + ".",
		"en": "Unknown clock: " + strings.Join(Clocks, ", ") + ".",
	})
}
