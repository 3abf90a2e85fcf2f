package subsidy

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"sort"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/ledger"
	"github.com/entraide/entraide/services/payments/receivable"
)

// Forms of the claim data sets.
const (
	FormB     = "B"     // grant, and every change of it (a full B each time)
	FormC     = "C"     // refusal (code 1) or withdrawal (code 2)
	FormD     = "D"     // recovery, with its type code
	FormClaim = "claim" // the month's amounts paid per decision and the State's part
)

// Forms lists the forms.
var Forms = []string{FormB, FormC, FormD, FormClaim}

// Row is one line of a data set; the fields a form does not use stay empty.
type Row struct {
	Form             string     `json:"form"`
	EnterpriseNumber string     `json:"enterprise_number"`
	NISS             string     `json:"niss"`
	DecisionID       string     `json:"decision_id"`
	FileNumber       string     `json:"file_number,omitempty"`
	Event            string     `json:"event,omitempty"`
	DecidedOn        civil.Date `json:"decided_on,omitzero"`
	EffectiveDate    civil.Date `json:"effective_date,omitzero"`
	EndDate          civil.Date `json:"end_date,omitzero"`
	Category         int        `json:"category,omitempty"`
	MonthlyCents     int64      `json:"monthly_cents,omitempty"`
	PIIS             bool       `json:"piis"`
	SharePercent     int        `json:"share_percent"`
	ShareReason      string     `json:"share_reason"`
	Code             int        `json:"code,omitempty"`
	ReceivableID     string     `json:"receivable_id,omitempty"`
	PeriodFrom       civil.Date `json:"period_from,omitzero"`
	PeriodTo         civil.Date `json:"period_to,omitzero"`
	AmountCents      int64      `json:"amount_cents"`
	StateCents       int64      `json:"state_cents"`
	// Missing names what the BCSS will refuse the line for (e.g. "niss").
	Missing []string `json:"missing,omitempty"`
}

// DataSet is a month's data set of one form.
type DataSet struct {
	Month            string `json:"month"`
	Form             string `json:"form"`
	EnterpriseNumber string `json:"enterprise_number"`
	Band             int    `json:"band"`
	Rows             []Row  `json:"rows"`
	Count            int    `json:"count"`
	AmountCents      int64  `json:"amount_cents"`
	StateCents       int64  `json:"state_cents"`
}

func inMonth(d, from, to civil.Date) bool { return !d.IsZero() && !d.Before(from) && !d.After(to) }

// Claims computes the data set of form for the month from–to (its first and last day), audited with the purpose
// (the rows carry NISS numbers).
func (s *Service) Claims(ctx context.Context, a kit.Actor, form string, from, to civil.Date, purpose string) (DataSet, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return DataSet{}, err
	}
	st, err := s.Settings.Get(ctx, a.Tenant)
	if err != nil {
		return DataSet{}, err
	}
	band, err := s.RateFor(ctx, a.Tenant, from.Year())
	if err != nil {
		return DataSet{}, err
	}
	out := DataSet{Month: from.String()[:7], Form: form, EnterpriseNumber: st.State.EnterpriseNumber, Band: band, Rows: []Row{}}
	decisions, err := s.Decisions.Find(ctx, a.Tenant, bson.D{}, nil)
	if err != nil {
		return out, err
	}
	byID := map[string]store.Versioned[Decision]{}
	for _, d := range decisions {
		byID[d.ID] = d
	}
	persons := map[string]Person{}
	person := func(id string) (Person, error) {
		if p, ok := persons[id]; ok {
			return p, nil
		}
		p, err := s.personOf(ctx, a.Tenant, id)
		persons[id] = p
		return p, err
	}
	var fileIDs []string
	base := func(d store.Versioned[Decision]) (Row, error) {
		p, err := person(d.State.PersonID)
		if err != nil {
			return Row{}, err
		}
		share, reason := s.ShareOf(band, d.State, p)
		r := Row{Form: form, EnterpriseNumber: st.State.EnterpriseNumber, NISS: p.NISS, DecisionID: d.ID, Category: d.State.Category,
			PIIS: d.State.PIIS, SharePercent: share, ShareReason: reason}
		fileIDs = append(fileIDs, d.State.FileID)
		if p.NISS == "" {
			r.Missing = append(r.Missing, "niss")
		}
		if st.State.EnterpriseNumber == "" {
			r.Missing = append(r.Missing, "enterprise_number")
		}
		return r, nil
	}
	subsidised := func(d Decision) bool {
		for _, k := range s.Rules.Kinds {
			if k == d.Kind {
				return true
			}
		}
		return false
	}
	switch form {
	case FormB, FormC:
		for _, d := range decisions {
			if !subsidised(d.State) {
				continue
			}
			for _, c := range d.State.Changes {
				if !inMonth(c.DecidedOn, from, to) {
					continue
				}
				r, err := base(d)
				if err != nil {
					return out, err
				}
				r.Event, r.DecidedOn = c.Type, c.DecidedOn
				refused := c.Type == "created" && !d.State.Granted()
				withdrawn := c.Type == "terminated" && c.Ending == "withdrawal"
				switch {
				case form == FormC && refused:
					r.Code, r.EffectiveDate = s.Rules.RefusalCode, c.DecidedOn
				case form == FormC && withdrawn:
					r.Code, r.EffectiveDate = s.Rules.WithdrawalCode, c.From
				case form == FormB && d.State.Granted() && !withdrawn:
					r.EffectiveDate, r.MonthlyCents, r.EndDate = c.From, c.MonthlyCents, d.State.End
					if c.Type == "suspended" {
						r.EndDate = c.To
					}
					r.AmountCents = c.MonthlyCents
					r.StateCents = Of(c.MonthlyCents, r.SharePercent)
				default:
					continue
				}
				if c.Type == "created" {
					r.EffectiveDate = d.State.Start
					if refused {
						r.EffectiveDate = c.DecidedOn
					}
				}
				out.Rows = append(out.Rows, r)
			}
		}
	case FormD:
		recs, err := s.Receivables.Of(ctx, a.Tenant, bson.D{})
		if err != nil {
			return out, err
		}
		for _, rc := range recs {
			if !inMonth(rc.State.CreatedOn, from, to) || rc.State.Status == receivable.StatusCancelled {
				continue
			}
			d, ok := byID[rc.State.DecisionID]
			if !ok || !subsidised(d.State) {
				continue
			}
			r, err := base(d)
			if err != nil {
				return out, err
			}
			key := rc.State.Case
			if rc.State.Source == receivable.SourceOverpayment {
				key = "overpayment"
			}
			r.Event, r.Code, r.ReceivableID, r.DecidedOn = rc.State.Source, s.Rules.RecoveryCodes[key], rc.ID, rc.State.CreatedOn
			r.PeriodFrom, r.PeriodTo, r.AmountCents = rc.State.PeriodFrom, rc.State.PeriodTo, rc.State.AmountCents
			r.StateCents = Of(r.AmountCents, r.SharePercent)
			out.Rows = append(out.Rows, r)
		}
	case FormClaim:
		net := map[string]int64{}
		err := s.Ledger.Each(ctx, a.Tenant, func(e ledger.Entry) {
			if !inMonth(e.Date, from, to) {
				return
			}
			switch e.Type {
			case ledger.TypePaid:
				net[e.DecisionID] += e.AmountCents
			case ledger.TypeReturned:
				net[e.DecisionID] -= e.AmountCents
			}
		})
		if err != nil {
			return out, err
		}
		for id, cents := range net {
			d, ok := byID[id]
			if !ok || !subsidised(d.State) || cents == 0 {
				continue
			}
			r, err := base(d)
			if err != nil {
				return out, err
			}
			r.AmountCents, r.StateCents, r.MonthlyCents = cents, Of(cents, r.SharePercent), d.State.current()
			out.Rows = append(out.Rows, r)
		}
	default:
		return out, errors.New("subsidy: unknown form")
	}
	files, err := s.Proj.Files(ctx, a.Tenant, fileIDs)
	if err != nil {
		return out, err
	}
	for i := range out.Rows {
		out.Rows[i].FileNumber = files[byID[out.Rows[i].DecisionID].State.FileID].Number
		out.Count++
		out.AmountCents += out.Rows[i].AmountCents
		out.StateCents += out.Rows[i].StateCents
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		if out.Rows[i].DecidedOn != out.Rows[j].DecidedOn {
			return out.Rows[i].DecidedOn.Before(out.Rows[j].DecidedOn)
		}
		return out.Rows[i].DecisionID < out.Rows[j].DecisionID
	})
	s.Audit.Record(ctx, a, kit.Entry{Action: "subsidy.claims", ResourceType: "subsidy", ResourceID: form + "/" + out.Month, Purpose: purpose})
	return out, nil
}

func date(d civil.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// WriteCSV writes a data set as CSV (semicolons, a header line, amounts 1234.56, dates YYYY-MM-DD).
func WriteCSV(w io.Writer, ds DataSet) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	var header []string
	switch ds.Form {
	case FormB:
		header = []string{"form", "enterprise_number", "niss", "file_number", "decision_id", "event", "decided_on", "effective_date", "end_date",
			"category", "monthly_amount", "piis", "share_percent", "share_reason", "state_amount"}
	case FormC:
		header = []string{"form", "enterprise_number", "niss", "file_number", "decision_id", "event", "decided_on", "effective_date", "code"}
	case FormD:
		header = []string{"form", "enterprise_number", "niss", "file_number", "decision_id", "receivable_id", "type_code", "decided_on",
			"period_from", "period_to", "amount", "share_percent", "state_amount"}
	default:
		header = []string{"form", "enterprise_number", "niss", "file_number", "decision_id", "category", "piis", "amount_paid", "share_percent",
			"share_reason", "state_amount"}
	}
	_ = cw.Write(header)
	for _, r := range ds.Rows {
		var line []string
		switch ds.Form {
		case FormB:
			line = []string{"B", r.EnterpriseNumber, r.NISS, r.FileNumber, r.DecisionID, r.Event, date(r.DecidedOn), date(r.EffectiveDate),
				date(r.EndDate), strconv.Itoa(r.Category), ledger.Decimal(r.MonthlyCents), strconv.FormatBool(r.PIIS),
				strconv.Itoa(r.SharePercent), r.ShareReason, ledger.Decimal(r.StateCents)}
		case FormC:
			line = []string{"C", r.EnterpriseNumber, r.NISS, r.FileNumber, r.DecisionID, r.Event, date(r.DecidedOn), date(r.EffectiveDate),
				strconv.Itoa(r.Code)}
		case FormD:
			line = []string{"D", r.EnterpriseNumber, r.NISS, r.FileNumber, r.DecisionID, r.ReceivableID, strconv.Itoa(r.Code), date(r.DecidedOn),
				date(r.PeriodFrom), date(r.PeriodTo), ledger.Decimal(r.AmountCents), strconv.Itoa(r.SharePercent), ledger.Decimal(r.StateCents)}
		default:
			line = []string{"claim", r.EnterpriseNumber, r.NISS, r.FileNumber, r.DecisionID, strconv.Itoa(r.Category), strconv.FormatBool(r.PIIS),
				ledger.Decimal(r.AmountCents), strconv.Itoa(r.SharePercent), r.ShareReason, ledger.Decimal(r.StateCents)}
		}
		_ = cw.Write(line)
	}
	cw.Flush()
	return cw.Error()
}
