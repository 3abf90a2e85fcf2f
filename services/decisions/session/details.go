package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
)

// CollDetails keeps, per session, what the members read of each item besides its terms: the person's name, the
// motivation and the legal basis, copied when the item is put on the agenda. They live beside the session (one
// document per session, read by _id) so that the steps of a live session, which rewrite the session, do not
// carry them.
const CollDetails = "session_item_details"

// ItemDetails is what the members read of an item besides its terms.
type ItemDetails struct {
	PersonName string `bson:"person_name,omitempty" json:"person_name,omitempty"`
	LegalBasis string `bson:"legal_basis,omitempty" json:"legal_basis,omitempty"`
	Motivation string `bson:"motivation,omitempty" json:"motivation,omitempty"`
}

// ProposalDetails gives the legal basis and the motivation of a proposal (optional: implemented over the
// proposals by the service's wiring).
type ProposalDetails interface {
	ProposalDetails(ctx context.Context, tenant, proposalID string) (legalBasis, motivation string, err error)
}

type detailsDoc struct {
	Tenant string                 `bson:"tenant"`
	Items  map[string]ItemDetails `bson:"items"`
}

// details reads the details of a session's items (none when there are none).
func (s *Service) details(ctx context.Context, tenant, id string) (map[string]ItemDetails, error) {
	var d detailsDoc
	err := s.Repo.db.Collection(CollDetails).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && d.Tenant != tenant) {
		return map[string]ItemDetails{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: details: %w", err)
	}
	return d.Items, nil
}

// keepDetails records the details of an item put on the agenda: the person's name from the registry's
// projection, the motivation of an urgent decision or, through ProposalDetails, of a proposal. Failing to read
// them leaves them out (the agenda still holds the item); failing to store them is an error.
func (s *Service) keepDetails(ctx context.Context, tenant, id, ref, personID string, urg *committee.UrgentDecision) error {
	var d ItemDetails
	if s.Proj != nil {
		if p, err := s.Proj.Person(ctx, tenant, personID); err == nil {
			d.PersonName = p.DisplayName()
		}
	}
	switch {
	case urg != nil:
		d.Motivation = urg.State().Motivation
	case s.Details != nil:
		if lb, mot, err := s.Details.ProposalDetails(ctx, tenant, ref); err == nil {
			d.LegalBasis, d.Motivation = strings.TrimSpace(lb), strings.TrimSpace(mot)
		}
	}
	coll := s.Repo.db.Collection(CollDetails)
	unlock := store.LockDocument(coll, id)
	defer unlock()
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "tenant", Value: tenant}, {Key: "items." + ref, Value: d}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("session: keep details: %w", err)
	}
	return nil
}
