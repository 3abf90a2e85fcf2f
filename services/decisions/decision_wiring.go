package decisions

import (
	"context"

	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/proposal"
)

// proposalBasis adapts proposal.Service to decision.Proposals (decision does not import proposal).
type proposalBasis struct{ p *proposal.Service }

// DecisionBasis converts the proposal's basis.
func (a proposalBasis) DecisionBasis(ctx context.Context, tenant, proposalID string) (decision.Basis, error) {
	b, err := a.p.DecisionBasis(ctx, tenant, proposalID)
	if err != nil {
		return decision.Basis{}, err
	}
	return decision.Basis{ProposalID: b.ProposalID, RequestID: b.RequestID, RequestNumber: b.RequestNumber,
		PersonID: b.PersonID, FileID: b.FileID, Kind: b.Kind, Subtype: b.Subtype, Outcome: b.Outcome,
		LegalBasis: b.LegalBasis, Category: b.Category, CategoryJustification: b.CategoryJustification,
		MonthlyCents: b.MonthlyCents, FirstMonthCents: b.FirstMonthCents, OneOffCents: b.OneOffCents,
		Start: b.Start, End: b.End, Review: b.Review, Periodicity: b.Periodicity, PIIS: b.PIIS,
		Payee: decision.Payee{Kind: decision.PayeeKind(b.Payee.Kind), Name: b.Payee.Name, IBAN: b.Payee.IBAN,
			Communication: b.Payee.Communication},
		Working: b.Working, Conditions: b.Conditions, Motivation: b.Motivation, SocialWorker: b.SocialWorker,
		SocialWorkerName: b.SocialWorkerName, Requested: b.Requested}, nil
}

// Decided marks the proposal decided.
func (a proposalBasis) Decided(ctx context.Context, tenant, proposalID, decisionID string) error {
	return a.p.Decided(ctx, tenant, proposalID, decisionID)
}

// wireDecisions connects the decisions to the proposals and the committee (each when it exists).
func (app *App) wireDecisions(proposals *proposal.Service) {
	if proposals != nil {
		app.Decisions.Proposals = proposalBasis{proposals}
	}
	if app.RISTables != nil && app.Decisions.Calculator == nil {
		app.Decisions.Calculator = app.RISTables.Calculator
	}
	if app.Sessions != nil && app.Sessions.Outcomes == nil {
		app.Sessions.Outcomes = app.Decisions
	}
	if app.Urgent != nil && app.Urgent.Outcomes == nil {
		app.Urgent.Outcomes = app.Decisions
	}
}
