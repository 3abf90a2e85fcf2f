package decisions

import (
	"context"

	"github.com/entraide/entraide/services/decisions/proposal"
)

// proposalDetails adapts proposal.Service to session.ProposalDetails: the legal basis and motivation a committee
// member reads on the agenda (session does not import proposal).
type proposalDetails struct{ p *proposal.Service }

// ProposalDetails reads the proposal's basis.
func (a proposalDetails) ProposalDetails(ctx context.Context, tenant, proposalID string) (string, string, error) {
	b, err := a.p.DecisionBasis(ctx, tenant, proposalID)
	if err != nil {
		return "", "", err
	}
	return b.LegalBasis, b.Motivation, nil
}
