package ledger

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/internal/kit"
)

// JournalLine is one line of the accounting journal: the entries of one day, one kind of movement, one budget
// article (and one run for the payments) summed.
type JournalLine struct {
	Date          civil.Date `json:"date"`
	Journal       string     `json:"journal"` // payments, returns, receivables, recoveries, waivers
	BudgetArticle string     `json:"budget_article"`
	Kind          string     `json:"kind"`
	Side          string     `json:"side"` // debit or credit of the budget article
	Count         int        `json:"count"`
	AmountCents   int64      `json:"amount_cents"`
	RunNumber     string     `json:"run_number,omitempty"`
}

var journalOf = map[string]struct{ name, side string }{
	TypePaid:       {"payments", "debit"},
	TypeReturned:   {"returns", "credit"},
	TypeReceivable: {"receivables", "debit"},
	TypeRecovered:  {"recoveries", "credit"},
	TypeWaived:     {"waivers", "credit"},
}

// Journal computes the accounting journal of the entries dated from–to, by budget article (the due lines are not
// movements: they stay out).
func (s *Service) Journal(ctx context.Context, a kit.Actor, from, to civil.Date) ([]JournalLine, error) {
	type key struct {
		date                       civil.Date
		journal, article, kind, rn string
	}
	sums := map[key]*JournalLine{}
	err := s.Each(ctx, a.Tenant, func(e Entry) {
		j, ok := journalOf[e.Type]
		if !ok || e.Date.IsZero() || e.Date.Before(from) || e.Date.After(to) {
			return
		}
		k := key{e.Date, j.name, e.BudgetArticle, e.Kind, e.RunNumber}
		l := sums[k]
		if l == nil {
			l = &JournalLine{Date: e.Date, Journal: j.name, BudgetArticle: e.BudgetArticle, Kind: e.Kind, Side: j.side, RunNumber: e.RunNumber}
			sums[k] = l
		}
		l.Count++
		l.AmountCents += e.AmountCents
	})
	if err != nil {
		return nil, err
	}
	out := make([]JournalLine, 0, len(sums))
	for _, l := range sums {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Date != b.Date {
			return a.Date.Before(b.Date)
		}
		if a.Journal != b.Journal {
			return a.Journal < b.Journal
		}
		if a.BudgetArticle != b.BudgetArticle {
			return a.BudgetArticle < b.BudgetArticle
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.RunNumber < b.RunNumber
	})
	s.Audit.Record(ctx, a, kit.Entry{Action: "accounting.journal", ResourceType: "ledger"})
	return out, nil
}

// Decimal writes cents as 1234.56 (the machine form of the CSV exports).
func Decimal(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	frac := strconv.FormatInt(c%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(c/100, 10) + "." + frac
}

// WriteJournalCSV writes the journal as CSV (semicolons, header line, amounts 1234.56).
func WriteJournalCSV(w io.Writer, lines []JournalLine) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	_ = cw.Write([]string{"date", "journal", "budget_article", "kind", "side", "count", "amount", "run_number"})
	for _, l := range lines {
		_ = cw.Write([]string{l.Date.String(), l.Journal, l.BudgetArticle, l.Kind, l.Side, strconv.Itoa(l.Count), Decimal(l.AmountCents), l.RunNumber})
	}
	cw.Flush()
	return cw.Error()
}
