package decision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/projection"
)

// Task kinds requested from the registry.
const (
	TaskYearlyReview = "decision_review"
	TaskChangeReview = "decision_review_change"
)

// Beneficiaries' events that open a review of a running RIS.
const (
	TypeHouseholdChanged = "be.cpas.beneficiaries.household.changed.v1"
	reviewConsumer       = "decisions-reviews"
)

// RequestReviews asks the registry for a review task for every running decision whose review date is reached,
// once per review date: the task's id derives from the decision and the date, and the same update moves the
// review date a period on. It returns how many tasks were requested.
func (s *Service) RequestReviews(ctx context.Context) (int, error) {
	today := s.today()
	recs, err := s.Repo.ReviewsDue(ctx, today, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range recs {
		rules, err := s.rules(ctx, rec.Tenant)
		if err != nil {
			return n, err
		}
		_, err = s.Repo.Update(ctx, rec.Tenant, rec.ID, rec.Version, func(d *Decision) ([]events.Event, error) {
			if !d.ReviewWaiting || d.ReviewDue.After(today) {
				return nil, nil
			}
			due := d.ReviewDue
			taskID := childID("review", rec.ID, due.String())
			d.ReviewRequested = due
			d.Tasks = append(d.Tasks, taskID)
			if next, err := rules.YearlyReview(due); err == nil {
				d.ReviewDue = next.Due
			} else {
				d.ReviewWaiting = false
			}
			refresh(d, rules)
			ev, err := events.New(TypeTaskRequested, EventSource, rec.Tenant, rec.ID, correlation(ctx, taskID), TaskPayload{TaskID: taskID,
				FileID: d.FileID, PersonID: d.PersonID, Kind: TaskYearlyReview,
				TitleFR: "Révision de la décision d'aide (" + kindFR(d.Kind) + ") : échéance du " + legalclock.FormatDate(due, "fr"),
				TitleNL: "Herziening van de hulpbeslissing (" + kindNL(d.Kind) + "): uiterlijk op " + legalclock.FormatDate(due, "nl"),
				DueDate: due.String()})
			return []events.Event{ev}, err
		})
		if errors.Is(err, store.ErrConflict) {
			continue // changed meanwhile: the next round sees it again
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// CloseAppealWindows takes off the board the appeal windows whose last day is past (no appeal was lodged in
// time). It returns how many it closed.
func (s *Service) CloseAppealWindows(ctx context.Context) (int, error) {
	today := s.today()
	recs, err := s.Repo.AppealWindowsPast(ctx, today, 500)
	if err != nil {
		return 0, err
	}
	changes, err := s.Repo.ChangeAppealWindowsPast(ctx, today, 500)
	if err != nil {
		return 0, err
	}
	recs = append(recs, changes...)
	n := 0
	for _, rec := range recs {
		rules, err := s.rules(ctx, rec.Tenant)
		if err != nil {
			return n, err
		}
		_, err = s.Repo.Update(ctx, rec.Tenant, rec.ID, rec.Version, func(d *Decision) ([]events.Event, error) {
			if d.AppealOpen && d.AppealDue.Before(today) {
				d.AppealOpen = false
				refresh(d, rules)
			}
			if closeChangeAppeals(d, today) {
				refresh(d, rules)
			}
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ReviewLoop is the housekeeping round of RequestReviews and CloseAppealWindows (run with httpkit.Every);
// failures are logged without personal data.
func (s *Service) ReviewLoop(logger *slog.Logger) func(ctx context.Context) {
	return func(ctx context.Context) {
		if _, err := s.RequestReviews(ctx); err != nil && ctx.Err() == nil && logger != nil {
			logger.Warn("review tasks not requested", "error", err.Error())
		}
		if _, err := s.CloseAppealWindows(ctx); err != nil && ctx.Err() == nil && logger != nil {
			logger.Warn("appeal windows not closed", "error", err.Error())
		}
	}
}

func kindFR(k legalclock.Kind) string {
	switch k {
	case legalclock.RIS:
		return "revenu d'intégration"
	case legalclock.ERIS:
		return "équivalent du revenu d'intégration"
	case legalclock.AMU:
		return "aide médicale urgente"
	}
	return "aide sociale"
}

func kindNL(k legalclock.Kind) string {
	switch k {
	case legalclock.RIS:
		return "leefloon"
	case legalclock.ERIS:
		return "equivalent leefloon"
	case legalclock.AMU:
		return "dringende medische hulp"
	}
	return "maatschappelijke dienstverlening"
}

// HandleChange handles one event of cpas.beneficiaries.v1: a person's identity or household changed while a RIS
// decision runs for them → a review task, once per change event (the event id names the task, and the consumer
// marks the event processed). Other types are skipped.
func (s *Service) HandleChange(ctx context.Context, e events.Event) error {
	if e.Type != projection.TypePersonUpdated && e.Type != TypeHouseholdChanged {
		return nil
	}
	if e.Tenant == "" {
		return events.Permanent(fmt.Errorf("decision: %s without tenant", e.Type))
	}
	var p struct {
		PersonID string `json:"person_id"`
	}
	if err := json.Unmarshal(e.Data, &p); err != nil || p.PersonID == "" {
		return events.Permanent(fmt.Errorf("decision: malformed %s", e.Type))
	}
	return s.Repo.processed.Once(ctx, reviewConsumer, e.ID, func(ctx context.Context) error {
		recs, err := s.Repo.RunningRIS(ctx, e.Tenant, p.PersonID)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := s.changeTask(ctx, e, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) changeTask(ctx context.Context, e events.Event, rec Record) error {
	taskID := childID("change", e.ID, rec.ID)
	what := "identité"
	whatNL := "identiteit"
	if e.Type == TypeHouseholdChanged {
		what, whatNL = "composition de ménage", "gezinssamenstelling"
	}
	for {
		if slices.Contains(rec.State.Tasks, taskID) {
			return nil
		}
		_, err := s.Repo.Update(ctx, rec.Tenant, rec.ID, rec.Version, func(d *Decision) ([]events.Event, error) {
			d.Tasks = append(d.Tasks, taskID)
			ev, err := events.New(TypeTaskRequested, EventSource, rec.Tenant, rec.ID, e.ID, TaskPayload{TaskID: taskID,
				FileID: d.FileID, PersonID: d.PersonID, Kind: TaskChangeReview,
				TitleFR: "Changement au registre (" + what + ") : réexaminer le revenu d'intégration en cours",
				TitleNL: "Wijziging in het register (" + whatNL + "): het lopende leefloon herbekijken",
				DueDate: s.today().AddDays(30).String()})
			return []events.Event{ev}, err
		})
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if rec, err = s.Repo.Load(ctx, rec.Tenant, rec.ID); err != nil {
			return err
		}
	}
}

// ReviewConsumer runs the consumer group of HandleChange on the beneficiaries topic.
type ReviewConsumer struct {
	Service *Service
	Brokers []string
	// GroupID defaults to "decisions-reviews", Topic to events.TopicBeneficiaries.
	GroupID string
	Topic   string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c ReviewConsumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	group, topic := c.GroupID, c.Topic
	if group == "" {
		group = reviewConsumer
	}
	if topic == "" {
		topic = events.TopicBeneficiaries
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: topic,
		Handler: c.Service.HandleChange, Logger: c.Logger})
}
