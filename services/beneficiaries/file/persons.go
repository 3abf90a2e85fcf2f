package file

import (
	"context"
	"errors"
	"strings"

	"github.com/entraide/entraide/services/beneficiaries/person"
)

// NewPersons adapts the person package's repository to what files need of it.
func NewPersons(repo *person.Repository) Persons { return personsAdapter{repo: repo} }

type personsAdapter struct{ repo *person.Repository }

func (p personsAdapter) Visible(ctx context.Context, tenant string, v Viewer, personID string) (bool, error) {
	_, err := p.repo.Get(ctx, tenant, personID, person.Viewer{UserID: v.UserID, Head: v.Head, Teams: v.Teams})
	if errors.Is(err, person.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (p personsAdapter) Exists(ctx context.Context, tenant, personID string) (bool, error) {
	_, err := p.repo.Load(ctx, tenant, personID)
	if errors.Is(err, person.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (p personsAdapter) SetFileLinks(ctx context.Context, tenant, personID string, links []person.FileLink) error {
	return p.repo.SetFileLinks(ctx, tenant, personID, links)
}

// DisplayNames reads each person by id (the one lookup FerretDB/SQLite pushes down); a caseload holds tens of
// files.
func (p personsAdapter) DisplayNames(ctx context.Context, tenant string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		rec, err := p.repo.Load(ctx, tenant, id)
		if errors.Is(err, person.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = strings.TrimSpace(rec.State.FamilyName + ", " + rec.State.GivenNames)
	}
	return out, nil
}
