package allinone

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
	paydemo "github.com/entraide/entraide/services/payments/demo"
)

// runPayments runs the payments service and, with the demo, seeds its payment settings and demo runs in the
// background once the decisions demo's schedules have reached it through Kafka (bounded wait; nothing when the
// demo tenant has runs already).
func runPayments(ctx context.Context, cfg payments.Config, logins []identity.Login, opts Options, logger *slog.Logger) error {
	app, err := payments.NewApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { _ = app.Close(context.WithoutCancel(ctx)) }()
	ln, err := httpkit.ListenerOr(cfg.Listener, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	seedCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if opts.SeedDemo {
		st := paydemo.Staff{Tenant: identity.DemoTenantCode}
		for _, l := range logins {
			switch {
			case l.Tenant != identity.DemoTenantCode:
			case l.Role == identity.RoleAccountant:
				st.Accountant = l.UserID
			case l.Role == identity.RoleFinanceDirector:
				st.FinanceDirector = l.UserID
			}
		}
		wait := opts.DemoWait
		if wait <= 0 {
			wait = 3 * time.Minute
		}
		if st.Accountant != "" && st.FinanceDirector != "" {
			wg.Go(func() {
				res, err := paydemo.Seed(seedCtx, app, st, wait, logger)
				if err != nil && seedCtx.Err() == nil {
					logger.Error("payments demo not seeded", "error", err.Error())
				}
				if opts.PaymentsDemo != nil {
					opts.PaymentsDemo(res, err)
				}
			})
		}
	}
	err = app.Serve(ctx, ln)
	cancel()
	wg.Wait()
	return err
}
