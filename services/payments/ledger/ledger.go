// Package ledger answers "what did the CPAS owe, pay, get back and recover" per beneficiary and per tenant, with
// every line traceable to the decision, the run and its file line (EndToEndId), and the bank statement line.
//
// The ledger is computed from the facts when it is read, not written as entries of its own: each fact already
// lives in exactly one document written atomically by its owner — an instalment (what a decision made due, the
// attempts in runs with their EndToEndIds, the statement line that booked it, the returns with their reason), a
// run (number, execution date), a receivable (the recovery, its payments by statement line, a waiver). A ledger
// written beside them would be a second write for every fact (after a crash between the two the books would
// disagree with the payments) and a second truth to repair when a payment is reissued or a return arrives late.
// Computing keeps one truth; the reads stay bounded: a beneficiary's ledger reads the instalments of their
// decisions (indexed by decision) and their receivables (indexed by person); the tenant's totals stream the
// instalments and receivables once with a projection of the few fields they need.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Entry types.
const (
	TypeDue        = "due"        // an instalment fell due (decision)
	TypePaid       = "paid"       // a payment left in a run's file (run, EndToEndId; statement line once booked)
	TypeReturned   = "returned"   // the payee's bank sent it back (statement line, reason)
	TypeReceivable = "receivable" // the beneficiary owes money back (recovery decided, overpayment)
	TypeRecovered  = "recovered"  // an incoming transfer paid a receivable (statement line)
	TypeWaived     = "waived"     // the finance director waived or cancelled a receivable's balance
)

// Entry is one line of a ledger with its drill-down references.
type Entry struct {
	Date            civil.Date `json:"date"`
	Type            string     `json:"type"`
	AmountCents     int64      `json:"amount_cents"`
	Kind            string     `json:"kind,omitempty"`
	BudgetArticle   string     `json:"budget_article,omitempty"`
	Periods         []string   `json:"periods,omitempty"`
	DecisionID      string     `json:"decision_id,omitempty"`
	InstalmentID    string     `json:"instalment_id,omitempty"`
	RunID           string     `json:"run_id,omitempty"`
	RunNumber       string     `json:"run_number,omitempty"`
	EndToEndID      string     `json:"end_to_end_id,omitempty"`
	StatementID     string     `json:"statement_id,omitempty"`
	StatementLineID string     `json:"statement_line_id,omitempty"`
	ReceivableID    string     `json:"receivable_id,omitempty"`
	Status          string     `json:"status,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

// Totals are the sums of a ledger.
type Totals struct {
	DueCents        int64 `json:"due_cents"`
	PaidCents       int64 `json:"paid_cents"`
	ReturnedCents   int64 `json:"returned_cents"`
	ReceivableCents int64 `json:"receivable_cents"`
	RecoveredCents  int64 `json:"recovered_cents"`
	WaivedCents     int64 `json:"waived_cents"`
	// OutstandingCents is what the CPAS still owes: due − (paid − returned).
	OutstandingCents int64 `json:"outstanding_cents"`
	// ToRecoverCents is what the beneficiaries still owe: receivables − recovered − waived.
	ToRecoverCents int64 `json:"to_recover_cents"`
}

func (t *Totals) add(e Entry) {
	switch e.Type {
	case TypeDue:
		t.DueCents += e.AmountCents
	case TypePaid:
		t.PaidCents += e.AmountCents
	case TypeReturned:
		t.ReturnedCents += e.AmountCents
	case TypeReceivable:
		t.ReceivableCents += e.AmountCents
	case TypeRecovered:
		t.RecoveredCents += e.AmountCents
	case TypeWaived:
		t.WaivedCents += e.AmountCents
	}
	t.OutstandingCents = t.DueCents - t.PaidCents + t.ReturnedCents
	t.ToRecoverCents = t.ReceivableCents - t.RecoveredCents - t.WaivedCents
}

// instalment is what the ledger reads of an instalment (schedule.Instalment's fields, with the booking and the
// returns the reconciliation records).
type instalment struct {
	ID            string          `bson:"_id"`
	Tenant        string          `bson:"tenant"`
	DecisionID    string          `bson:"decision_id"`
	PersonID      string          `bson:"person_id"`
	Kind          string          `bson:"kind"`
	BudgetArticle string          `bson:"budget_article"`
	Parts         []schedule.Part `bson:"parts"`
	AmountCents   int64           `bson:"amount_cents"`
	DueOn         civil.Date      `bson:"due_on"`
	Status        string          `bson:"status"`
	RunID         string          `bson:"run_id"`
	EndToEndID    string          `bson:"end_to_end_id"`
	Attempts      []attempt       `bson:"attempts"`
	Booking       *booking        `bson:"booking"`
	Returns       []ret           `bson:"returns"`
}

// attempt, booking and ret read schedule.Attempt, schedule.Booking and schedule.Return.
type attempt struct {
	RunID       string `bson:"run_id"`
	EndToEndID  string `bson:"end_to_end_id"`
	AmountCents int64  `bson:"amount_cents"`
}

type booking struct {
	StatementID string     `bson:"statement_id"`
	LineID      string     `bson:"line_id"`
	BookedOn    civil.Date `bson:"booked_on"`
}

type ret struct {
	StatementID string     `bson:"statement_id"`
	LineID      string     `bson:"line_id"`
	RunID       string     `bson:"run_id"`
	EndToEndID  string     `bson:"end_to_end_id"`
	Reason      string     `bson:"reason"`
	AmountCents int64      `bson:"amount_cents"`
	ReturnedOn  civil.Date `bson:"returned_on"`
}

// Statuses of an instalment whose current attempt left in a file (booked and returned come with the
// reconciliation).
const (
	statusBooked   = "booked"
	statusReturned = "returned"
)

type runInfo struct {
	Number string
	Date   civil.Date
}

// Service computes the ledgers.
type Service struct {
	Instalments *mongo.Collection
	Schedules   *schedule.Repository
	Runs        *run.Service
	Receivables *receivable.Service
	Proj        *projection.Repository
	Audit       *kit.Auditor
}

// NewService reads db.
func NewService(db *mongo.Database, sch *schedule.Repository, runs *run.Service, rcv *receivable.Service, proj *projection.Repository, audit *kit.Auditor) *Service {
	return &Service{Instalments: db.Collection(schedule.CollInstalments), Schedules: sch, Runs: runs, Receivables: rcv, Proj: proj, Audit: audit}
}

func (s *Service) runs(ctx context.Context, tenant string, ids map[string]bool) (map[string]runInfo, error) {
	out := map[string]runInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	recs, err := s.Runs.Runs.Find(ctx, tenant, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: list}}}}, nil)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r.ID] = runInfo{Number: r.State.Number, Date: r.State.ExecutionDate}
	}
	return out, nil
}

// sentAttempt is an attempt of the instalment that left in an exported file.
type sentAttempt struct {
	RunID, E2E string
	Cents      int64
}

// sent lists the attempts that left in a file: each returned one, and the current one when the instalment is
// exported or booked.
func (in instalment) sent() []sentAttempt {
	var out []sentAttempt
	for _, r := range in.Returns {
		out = append(out, sentAttempt{RunID: r.RunID, E2E: r.EndToEndID, Cents: r.AmountCents})
	}
	if in.Status == schedule.StatusExported || in.Status == statusBooked {
		cents := in.AmountCents
		for _, a := range in.Attempts {
			if a.EndToEndID == in.EndToEndID && a.AmountCents > 0 {
				cents = a.AmountCents
			}
		}
		out = append(out, sentAttempt{RunID: in.RunID, E2E: in.EndToEndID, Cents: cents})
	}
	return out
}

// entries turns an instalment into its ledger lines (through: due lines up to that day; zero: all).
func (in instalment) entries(runs map[string]runInfo, through civil.Date) []Entry {
	var out []Entry
	periods := make([]string, 0, len(in.Parts))
	for _, p := range in.Parts {
		periods = append(periods, p.Period)
	}
	base := Entry{Kind: in.Kind, BudgetArticle: in.BudgetArticle, Periods: periods, DecisionID: in.DecisionID, InstalmentID: in.ID}
	if in.Status != schedule.StatusCancelled && (through.IsZero() || !in.DueOn.After(through)) {
		e := base
		e.Date, e.Type, e.AmountCents, e.Status = in.DueOn, TypeDue, in.AmountCents, in.Status
		out = append(out, e)
	}
	for _, a := range in.sent() {
		e := base
		e.Type, e.AmountCents, e.RunID, e.EndToEndID = TypePaid, a.Cents, a.RunID, a.E2E
		e.Date, e.RunNumber = runs[a.RunID].Date, runs[a.RunID].Number
		if in.Booking != nil && a.E2E == in.EndToEndID && in.Status == statusBooked {
			e.StatementID, e.StatementLineID, e.Status = in.Booking.StatementID, in.Booking.LineID, statusBooked
			if !in.Booking.BookedOn.IsZero() {
				e.Date = in.Booking.BookedOn
			}
		}
		out = append(out, e)
	}
	for _, r := range in.Returns {
		e := base
		e.Date, e.Type, e.AmountCents, e.RunID, e.RunNumber, e.EndToEndID = r.ReturnedOn, TypeReturned, r.AmountCents, r.RunID, runs[r.RunID].Number, r.EndToEndID
		e.StatementID, e.StatementLineID, e.Reason = r.StatementID, r.LineID, r.Reason
		out = append(out, e)
	}
	return out
}

func receivableEntries(id string, r receivable.Receivable) []Entry {
	base := Entry{Kind: r.Kind, BudgetArticle: r.BudgetArticle, DecisionID: r.DecisionID, ReceivableID: id}
	e := base
	e.Date, e.Type, e.AmountCents, e.Status, e.Reason = r.CreatedOn, TypeReceivable, r.AmountCents, r.Status, r.Source
	out := []Entry{e}
	for _, p := range r.Payments {
		e := base
		e.Date, e.Type, e.AmountCents, e.StatementLineID, e.Reason = p.BookedOn, TypeRecovered, p.AmountCents, p.StatementLineID, p.MatchedBy
		out = append(out, e)
	}
	if r.Closure != nil && r.Closure.BalanceCents > 0 {
		e := base
		e.Date, e.Type, e.AmountCents, e.Reason = r.ClosedOn, TypeWaived, r.Closure.BalanceCents, r.Closure.Kind
		out = append(out, e)
	}
	return out
}

// PersonLedger is a beneficiary's ledger.
type PersonLedger struct {
	PersonID    string   `json:"person_id"`
	Name        string   `json:"name,omitempty"`
	FileNumbers []string `json:"file_numbers"`
	Totals      Totals   `json:"totals"`
	Entries     []Entry  `json:"entries"`
}

// ErrNotFound: no payment, no receivable, nothing for that person in the tenant.
var ErrNotFound = kit.ErrNotFound

func (s *Service) decisionsOf(ctx context.Context, tenant, person string) ([]string, []string, error) {
	cur, err := s.Schedules.Schedules.Collection().Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "person_id", Value: person}},
		options.Find().SetProjection(bson.D{{Key: "file_id", Value: 1}}))
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: schedules: %w", err)
	}
	var docs []struct {
		ID     string `bson:"_id"`
		FileID string `bson:"file_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, nil, err
	}
	var ids, files []string
	for _, d := range docs {
		ids = append(ids, d.ID)
		if !slices.Contains(files, d.FileID) {
			files = append(files, d.FileID)
		}
	}
	return ids, files, nil
}

// Person computes a beneficiary's ledger, the due lines up to through (zero: everything issued), audited with
// the purpose.
func (s *Service) Person(ctx context.Context, a kit.Actor, person, purpose string, through civil.Date) (PersonLedger, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return PersonLedger{}, err
	}
	out, err := s.person(ctx, a.Tenant, person, through)
	if err != nil {
		return out, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "ledger.read", ResourceType: "person", ResourceID: person, Purpose: purpose})
	return out, nil
}

func (s *Service) person(ctx context.Context, tenant, person string, through civil.Date) (PersonLedger, error) {
	out := PersonLedger{PersonID: person, FileNumbers: []string{}, Entries: []Entry{}}
	decisions, fileIDs, err := s.decisionsOf(ctx, tenant, person)
	if err != nil {
		return out, err
	}
	var ins []instalment
	if len(decisions) > 0 {
		cur, err := s.Instalments.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "decision_id", Value: bson.D{{Key: "$in", Value: decisions}}}})
		if err != nil {
			return out, fmt.Errorf("ledger: instalments: %w", err)
		}
		if err := cur.All(ctx, &ins); err != nil {
			return out, err
		}
	}
	rcv, err := s.Receivables.Of(ctx, tenant, bson.D{{Key: "person_id", Value: person}})
	if err != nil {
		return out, err
	}
	if len(decisions) == 0 && len(rcv) == 0 {
		return out, ErrNotFound
	}
	runIDs := map[string]bool{}
	for _, in := range ins {
		for _, a := range in.sent() {
			runIDs[a.RunID] = true
		}
	}
	runs, err := s.runs(ctx, tenant, runIDs)
	if err != nil {
		return out, err
	}
	for _, in := range ins {
		out.Entries = append(out.Entries, in.entries(runs, through)...)
	}
	for _, r := range rcv {
		out.Entries = append(out.Entries, receivableEntries(r.ID, r.State)...)
	}
	sortEntries(out.Entries)
	for _, e := range out.Entries {
		out.Totals.add(e)
	}
	files, err := s.Proj.Files(ctx, tenant, fileIDs)
	if err != nil {
		return out, err
	}
	for _, id := range fileIDs {
		if f, ok := files[id]; ok {
			out.FileNumbers = append(out.FileNumbers, f.Number)
		}
	}
	if p, err := s.Proj.Payee(ctx, tenant, person); err == nil {
		out.Name = p.PersonName
		if out.Name == "" {
			out.Name = p.Name()
		}
	} else if !errors.Is(err, projection.ErrNotFound) {
		return out, err
	}
	return out, nil
}

func sortEntries(es []Entry) {
	order := map[string]int{TypeDue: 0, TypePaid: 1, TypeReturned: 2, TypeReceivable: 3, TypeRecovered: 4, TypeWaived: 5}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Date != es[j].Date {
			return es[i].Date.Before(es[j].Date)
		}
		return order[es[i].Type] < order[es[j].Type]
	})
}

// Row is a beneficiary in the ledger list, with their totals.
type Row struct {
	PersonID    string   `json:"person_id"`
	Name        string   `json:"name,omitempty"`
	FileNumbers []string `json:"file_numbers"`
	Totals      Totals   `json:"totals"`
}

// Page is a page of beneficiaries.
type Page struct {
	Items      []Row `json:"items"`
	Page       int   `json:"page"`
	PageSize   int   `json:"page_size"`
	TotalCount int   `json:"total_count"`
}

// Beneficiaries lists the tenant's beneficiaries that have a schedule or a receivable, by name, those whose name
// or file number contains q (case-insensitive), a page at a time with their totals (due up to today); audited.
func (s *Service) Beneficiaries(ctx context.Context, a kit.Actor, q string, page, size int, purpose string) (Page, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Page{}, err
	}
	out := Page{Items: []Row{}, Page: page, PageSize: size}
	persons := map[string][]string{} // person → file ids
	scan := func(coll *mongo.Collection) error {
		cur, err := coll.Find(ctx, bson.D{{Key: "tenant", Value: a.Tenant}}, options.Find().SetProjection(bson.D{{Key: "person_id", Value: 1}, {Key: "file_id", Value: 1}}))
		if err != nil {
			return fmt.Errorf("ledger: beneficiaries: %w", err)
		}
		defer cur.Close(ctx)
		for cur.Next(ctx) {
			p, _ := cur.Current.Lookup("person_id").StringValueOK()
			f, _ := cur.Current.Lookup("file_id").StringValueOK()
			if p != "" && !slices.Contains(persons[p], f) {
				persons[p] = append(persons[p], f)
			}
		}
		return cur.Err()
	}
	if err := scan(s.Schedules.Schedules.Collection()); err != nil {
		return out, err
	}
	if err := scan(s.Receivables.Repo.Collection()); err != nil {
		return out, err
	}
	var fileIDs []string
	for _, fs := range persons {
		fileIDs = append(fileIDs, fs...)
	}
	files, err := s.Proj.Files(ctx, a.Tenant, fileIDs)
	if err != nil {
		return out, err
	}
	ids := make([]string, 0, len(persons))
	for p := range persons {
		ids = append(ids, p)
	}
	payees, err := s.Proj.Payees(ctx, a.Tenant, ids)
	if err != nil {
		return out, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	var rows []Row
	for p, fs := range persons {
		row := Row{PersonID: p, FileNumbers: []string{}}
		for _, f := range fs {
			if n := files[f].Number; n != "" {
				row.FileNumbers = append(row.FileNumbers, n)
			}
		}
		if payee, ok := payees[p]; ok {
			row.Name = payee.PersonName
			if row.Name == "" {
				row.Name = payee.Name()
			}
		}
		if q != "" && !strings.Contains(strings.ToLower(row.Name), q) &&
			!slices.ContainsFunc(row.FileNumbers, func(n string) bool { return strings.Contains(strings.ToLower(n), q) }) {
			continue
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		return rows[i].PersonID < rows[j].PersonID
	})
	out.TotalCount = len(rows)
	from := min((page-1)*size, len(rows))
	to := min(from+size, len(rows))
	for _, row := range rows[from:to] {
		l, err := s.person(ctx, a.Tenant, row.PersonID, civil.Of(time.Now()))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return out, err
		}
		row.Totals = l.Totals
		out.Items = append(out.Items, row)
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "ledger.list", ResourceType: "person", Purpose: purpose})
	return out, nil
}
