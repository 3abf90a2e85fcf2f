package kit

import (
	"context"
	"errors"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/registryview"
)

// FileRegistry is what a file-scoped read consults of the beneficiaries registry projection (projection.Repository
// provides it).
type FileRegistry interface {
	File(ctx context.Context, tenant, id string) (registryview.File, error)
	CanSee(ctx context.Context, tenant, user string, f registryview.File) (bool, error)
}

// CheckFileRead lets a read of one social file's data go ahead: a known purpose, a file of the tenant, and for a
// social worker a file assigned to them or to one of their teams (the head and finance see any file). Another
// file is ErrNotFound; a refusal of a file that exists is audited as action, denied. The allowed read is audited
// by the caller, once it has read.
func CheckFileRead(ctx context.Context, reg FileRegistry, au *Auditor, a Actor, fileID, purpose, action string) error {
	if err := CheckPurpose(purpose); err != nil {
		return err
	}
	f, err := reg.File(ctx, a.Tenant, fileID)
	if errors.Is(err, registryview.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if a.IsHead() || a.IsFinance() {
		return nil
	}
	ok, err := reg.CanSee(ctx, a.Tenant, a.UserID, f)
	if err != nil {
		return err
	}
	if !ok {
		au.Record(ctx, a, Entry{Action: action, ResourceType: "file", ResourceID: fileID, FileID: fileID,
			Purpose: purpose, Outcome: audit.OutcomeDenied})
		return ErrNotFound
	}
	return nil
}
