package ledger

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Keyed are totals under a key (a budget article, a month).
type Keyed struct {
	Key string `json:"key"`
	Totals
}

// TenantLedger is the tenant's totals over a period, by budget article and by month.
type TenantLedger struct {
	From      civil.Date `json:"from"`
	To        civil.Date `json:"to"`
	Totals    Totals     `json:"totals"`
	ByArticle []Keyed    `json:"by_article"`
	ByMonth   []Keyed    `json:"by_month"`
}

// allRuns reads the number and execution date of every run of tenant (a few a month).
func (s *Service) allRuns(ctx context.Context, tenant string) (map[string]runInfo, error) {
	out := map[string]runInfo{}
	cur, err := s.Runs.Runs.Collection().Find(ctx, bson.D{{Key: "tenant", Value: tenant}},
		options.Find().SetProjection(bson.D{{Key: "number", Value: 1}, {Key: "execution_date", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("ledger: runs: %w", err)
	}
	var docs []struct {
		ID     string     `bson:"_id"`
		Number string     `bson:"number"`
		Date   civil.Date `bson:"execution_date"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ID] = runInfo{Number: d.Number, Date: d.Date}
	}
	return out, nil
}

// Each calls fn for every ledger entry of tenant (instalments streamed, then receivables).
func (s *Service) Each(ctx context.Context, tenant string, fn func(Entry)) error {
	runs, err := s.allRuns(ctx, tenant)
	if err != nil {
		return err
	}
	cur, err := s.Instalments.Find(ctx, bson.D{{Key: "tenant", Value: tenant}}, options.Find().SetBatchSize(1000).SetProjection(bson.D{
		{Key: "creditor", Value: 0}, {Key: "payee", Value: 0}, {Key: "outbox", Value: 0}}))
	if err != nil {
		return fmt.Errorf("ledger: instalments: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var in instalment
		if err := cur.Decode(&in); err != nil {
			return err
		}
		for _, e := range in.entries(runs, civil.Date{}) {
			fn(e)
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	rc, err := s.Receivables.Repo.Collection().Find(ctx, bson.D{{Key: "tenant", Value: tenant}}, options.Find().SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("ledger: receivables: %w", err)
	}
	defer rc.Close(ctx)
	for rc.Next(ctx) {
		v, err := store.Decode[receivable.Receivable](rc.Current, tenant)
		if err != nil {
			return err
		}
		for _, e := range receivableEntries(v.ID, v.State) {
			fn(e)
		}
	}
	return rc.Err()
}

func bump(m map[string]*Totals, k string, e Entry) {
	if m[k] == nil {
		m[k] = &Totals{}
	}
	m[k].add(e)
}

// Tenant computes the tenant's totals for the entries dated from–to (both included).
func (s *Service) Tenant(ctx context.Context, a kit.Actor, from, to civil.Date) (TenantLedger, error) {
	out := TenantLedger{From: from, To: to, ByArticle: []Keyed{}, ByMonth: []Keyed{}}
	arts, months := map[string]*Totals{}, map[string]*Totals{}
	err := s.Each(ctx, a.Tenant, func(e Entry) {
		if e.Date.IsZero() || e.Date.Before(from) || e.Date.After(to) {
			return
		}
		out.Totals.add(e)
		bump(arts, e.BudgetArticle, e)
		bump(months, schedule.MonthKey(e.Date), e)
	})
	if err != nil {
		return out, err
	}
	for k, t := range arts {
		out.ByArticle = append(out.ByArticle, Keyed{Key: k, Totals: *t})
	}
	for k, t := range months {
		out.ByMonth = append(out.ByMonth, Keyed{Key: k, Totals: *t})
	}
	sort.Slice(out.ByArticle, func(i, j int) bool { return out.ByArticle[i].Key < out.ByArticle[j].Key })
	sort.Slice(out.ByMonth, func(i, j int) bool { return out.ByMonth[i].Key < out.ByMonth[j].Key })
	s.Audit.Record(ctx, a, kit.Entry{Action: "ledger.tenant", ResourceType: "ledger"})
	return out, nil
}
