package receivable

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
)

// The accountant's manual match of a queued credit line to a receivable (package reconcile, kind "receivable"):
// a transfer the automatic rules could not place — no structured communication, a wrong one, an account the
// registry does not know — is booked on the receivable the accountant chose, by the same path as MatchIncoming
// (Receivable.Book: one payment per statement line, the balance, the settlement and its receivable.settled event in
// the same write). Never forced: the amount may not exceed the open balance.

// MatchManual is how a payment booked by the accountant's manual match was matched.
const MatchManual = "manual"

// scanCap bounds the open receivables read to find those of the same amount (a CPAS has hundreds).
const scanCap = 5000

// BookManual books the incoming credit c on the receivable id of tenant, as the accountant matched it: an open
// receivable of the tenant whose balance is at least the amount. The same line booked on it before changes
// nothing (a retried match); a line already booked on another receivable is refused. Refusals are field errors on
// receivable_id. It tells whether the receivable is settled now.
func (s *Service) BookManual(ctx context.Context, tenant, id string, c Credit) (bool, error) {
	refuse := func(code string) (bool, error) {
		return false, problem.Invalid(problem.Field("receivable_id", code))
	}
	if c.StatementLineID == "" || c.AmountCents <= 0 {
		return false, errors.New("receivable: a manual match needs a statement line and a positive amount")
	}
	if _, err := s.Repo.Load(ctx, tenant, id); errors.Is(err, store.ErrNotFound) {
		return refuse("payments.receivable_unknown")
	} else if err != nil {
		return false, err
	}
	done, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "payments.statement_line_id", Value: c.StatementLineID}}, options.Find().SetLimit(2))
	if err != nil {
		return false, err
	}
	for _, r := range done {
		if r.ID != id {
			// Named by its structured communication (no personal data), so the accountant can confirm that match.
			code, _ := ogm.Parse(r.State.OGM)
			return false, problem.Invalid(problem.Field("receivable_id", "payments.line_booked_elsewhere", "ogm", code.Format()))
		}
	}
	pay := Payment{StatementLineID: c.StatementLineID, AmountCents: c.AmountCents, BookedOn: c.BookedOn, MatchedBy: MatchManual,
		At: s.now().UTC().Truncate(time.Millisecond)}
	if pay.BookedOn.IsZero() {
		pay.BookedOn = civil.Of(s.now())
	}
	if v, err := iban.Parse(c.DebtorIBAN); err == nil {
		pay.DebtorIBAN = v.String()
	}
	var settled bool
	for range 5 {
		settled = false
		_, err = s.Repo.Update(ctx, tenant, id, func(r *Receivable) ([]events.Event, error) {
			if r.HasPayment(pay.StatementLineID) {
				settled = r.Status == StatusSettled
				return nil, nil
			}
			if !r.Open() {
				return nil, problem.Invalid(problem.Field("receivable_id", "payments.receivable_closed"))
			}
			if pay.AmountCents > r.Balance() {
				return nil, problem.Invalid(problem.Field("receivable_id", "payments.amount_above_balance"))
			}
			if !r.Book(pay) {
				return nil, nil
			}
			settled = true
			ev, err := s.settledEvent(tenant, id, *r, OutcomePaid)
			if err != nil {
				return nil, err
			}
			return []events.Event{ev}, nil
		})
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return settled, err
}

// Holder is the receivable a statement line is booked on: its id and its structured communication
// (+++123/4567/89012+++).
type Holder struct {
	ReceivableID string
	OGM          string
}

// Holders tells, for each of the statement lines lineIDs booked on a receivable of tenant, which receivable holds it
// (index (tenant, payments.statement_line_id); a line is booked on one receivable at most). Lines booked nowhere
// are absent.
func (s *Service) Holders(ctx context.Context, tenant string, lineIDs []string) (map[string]Holder, error) {
	out := map[string]Holder{}
	if len(lineIDs) == 0 {
		return out, nil
	}
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "payments.statement_line_id", Value: bson.D{{Key: "$in", Value: lineIDs}}}})
	if err != nil {
		return nil, err
	}
	cur, err := s.Repo.Collection().Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "ogm", Value: 1},
		{Key: "payments.statement_line_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	wanted := map[string]bool{}
	for _, l := range lineIDs {
		wanted[l] = true
	}
	for cur.Next(ctx) {
		var doc struct {
			ID       string `bson:"_id"`
			OGM      string `bson:"ogm"`
			Payments []struct {
				LineID string `bson:"statement_line_id"`
			} `bson:"payments"`
		}
		if err := cur.Decode(&doc); err != nil {
			return nil, err
		}
		code, _ := ogm.Parse(doc.OGM)
		for _, p := range doc.Payments {
			if wanted[p.LineID] {
				out[p.LineID] = Holder{ReceivableID: doc.ID, OGM: code.Format()}
			}
		}
	}
	return out, cur.Err()
}

// ByOGM is the id of tenant's receivable whose structured communication is code ("" when none: the OGM is unique
// in a tenant, and another tenant's is never found).
func (s *Service) ByOGM(ctx context.Context, tenant string, code ogm.OGM) (string, error) {
	if code.IsZero() {
		return "", nil
	}
	found, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "ogm", Value: code.String()}}, options.Find().SetLimit(1))
	if err != nil || len(found) == 0 {
		return "", err
	}
	return found[0].ID, nil
}

// Candidate is an open receivable an incoming credit may pay, with why it is offered.
type Candidate struct {
	ID           string `json:"receivable_id"`
	OGM          string `json:"ogm"`
	PersonID     string `json:"person_id"`
	FileID       string `json:"file_id"`
	PersonName   string `json:"person_name,omitempty"`
	FileNumber   string `json:"file_number,omitempty"`
	Source       string `json:"source"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	// Why: same_amount (the balance), plan_instalment (the plan's monthly amount), same_iban (the debtor's account
	// is the beneficiary's active one, or an earlier payment came from it).
	Why   []string `json:"why"`
	Score int      `json:"score"`
}

// Candidates lists up to ten open receivables of tenant that the credit c may pay, best first: the same amount as
// the balance or the plan's instalment, the debtor's IBAN known for the beneficiary. A receivable whose balance is
// below the amount is never offered (the match would be refused: never forced).
func (s *Service) Candidates(ctx context.Context, tenant string, c Credit) ([]Candidate, error) {
	byID := map[string]*Candidate{}
	var order []string
	offer := func(r store.Versioned[Receivable], why string, score int) {
		if !r.State.Open() || r.State.Balance() < c.AmountCents {
			return
		}
		x := byID[r.ID]
		if x == nil {
			code, _ := ogm.Parse(r.State.OGM)
			x = &Candidate{ID: r.ID, OGM: code.Format(), PersonID: r.State.PersonID, FileID: r.State.FileID, Source: r.State.Source,
				AmountCents: r.State.AmountCents, BalanceCents: r.State.Balance(), Why: []string{}}
			byID[r.ID] = x
			order = append(order, r.ID)
		}
		if !slices.Contains(x.Why, why) {
			x.Why, x.Score = append(x.Why, why), x.Score+score
		}
	}
	open := bson.E{Key: "status", Value: StatusOpen}
	if v, err := iban.Parse(c.DebtorIBAN); err == nil {
		persons, err := s.Proj.PersonsByIBAN(ctx, tenant, v.String())
		if err != nil {
			return nil, err
		}
		filters := []bson.D{{{Key: "payments.debtor_iban", Value: v.String()}, open}}
		if len(persons) > 0 {
			filters = append(filters, bson.D{{Key: "person_id", Value: bson.D{{Key: "$in", Value: persons}}}, open})
		}
		for _, f := range filters {
			found, err := s.Repo.Find(ctx, tenant, f, options.Find().SetLimit(matchCandidatesCap))
			if err != nil {
				return nil, err
			}
			for _, r := range found {
				offer(r, "same_iban", 2)
			}
		}
	}
	// Same amount: the open receivables' balances and plans, read with a projection, then the few that fit.
	filter, err := store.TenantFilter(tenant, bson.D{open})
	if err != nil {
		return nil, err
	}
	cur, err := s.Repo.Collection().Find(ctx, filter, options.Find().SetLimit(scanCap).SetProjection(bson.D{{Key: "amount_cents", Value: 1},
		{Key: "paid_cents", Value: 1}, {Key: "plan.monthly_cents", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var same, plan []string
	for cur.Next(ctx) {
		rid, _ := cur.Current.Lookup("_id").StringValueOK()
		amount, _ := cur.Current.Lookup("amount_cents").AsInt64OK()
		paid, _ := cur.Current.Lookup("paid_cents").AsInt64OK()
		monthly, _ := cur.Current.Lookup("plan", "monthly_cents").AsInt64OK()
		switch {
		case amount-paid == c.AmountCents:
			same = append(same, rid)
		case monthly > 0 && min(monthly, amount-paid) == c.AmountCents:
			plan = append(plan, rid)
		}
	}
	if err := cur.Err(); err != nil {
		_ = cur.Close(ctx)
		return nil, err
	}
	_ = cur.Close(ctx)
	for _, set := range []struct {
		ids   []string
		why   string
		score int
	}{{same, "same_amount", 3}, {plan, "plan_instalment", 2}} {
		if len(set.ids) == 0 {
			continue
		}
		found, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: set.ids[:min(len(set.ids), 20)]}}}}, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			offer(r, set.why, set.score)
		}
	}
	out := make([]Candidate, 0, len(order))
	fileIDs := make([]string, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
		fileIDs = append(fileIDs, byID[id].FileID)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > 10 {
		out = out[:10]
	}
	files, err := s.Proj.Files(ctx, tenant, fileIDs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].FileNumber = files[out[i].FileID].Number
		if p, err := s.Proj.Payee(ctx, tenant, out[i].PersonID); err == nil {
			out[i].PersonName = p.PersonName
			if out[i].PersonName == "" {
				out[i].PersonName = p.Name()
			}
		}
	}
	return out, nil
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.receivable_unknown": {"fr": "Créance inconnue.", "nl": "Onbekende vordering.", "de": "Unbekannte Forderung.",
			"en": "Unknown receivable."},
		"payments.amount_above_balance": {"fr": "Le montant de la ligne dépasse le solde dû de cette créance.",
			"nl": "Het bedrag van de lijn is hoger dan het openstaande saldo van deze vordering.",
			"de": "Der Betrag der Zeile übersteigt den offenen Saldo dieser Forderung.",
			"en": "The line's amount exceeds this receivable's balance."},
		"payments.line_booked_elsewhere": {"fr": "Cette ligne est déjà imputée sur la créance {ogm}.",
			"nl": "Deze lijn is al geboekt op de vordering {ogm}.",
			"de": "Diese Zeile ist bereits auf die Forderung {ogm} gebucht.",
			"en": "This line is already booked on receivable {ogm}."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
