package receivable

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Handle reads the schedules' own events (cpas.payments.v1): a schedule.changed whose change is a recovery or an
// overpayment makes its receivables exist here (Sync, idempotent: a redelivery creates nothing twice). The
// schedule stays the producer and this package the owner of the collection; the hourly SyncAll catches up what a
// lost event would leave behind.
func (s *Service) Handle(ctx context.Context, e events.Event) error {
	if e.Type != schedule.TypeScheduleChanged || e.Tenant == "" || e.Subject == "" {
		return nil
	}
	var p struct {
		Change string `json:"change"`
	}
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil
	}
	if p.Change != "recovery" && p.Change != "overpayment" {
		return nil
	}
	return s.Sync(ctx, e.Tenant, e.Subject)
}

// Consumer runs the receivables' consumer group on the payments topic.
type Consumer struct {
	Service *Service
	Brokers []string
	GroupID string
	Topic   string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c Consumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	group, topic := c.GroupID, c.Topic
	if group == "" {
		group = "payments-receivables"
	}
	if topic == "" {
		topic = events.TopicPayments
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: topic,
		Handler: c.Service.Handle, Logger: c.Logger})
}
