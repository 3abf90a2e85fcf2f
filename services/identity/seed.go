package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/problem"
)

// systemActor acts for start-up tasks (bootstrap, demo seed) in audit records.
func systemActor(tenant string) Actor {
	return Actor{UserID: "system", Tenant: tenant, Roles: []string{"system"}}
}

// BootstrapPlatformAdmin creates the platform admin username in the platform tenant unless a user of that name
// exists there (its password is then left alone): running it at every start is safe, and two replicas starting
// together create one user (the unique index decides).
func BootstrapPlatformAdmin(ctx context.Context, svc Service, username, password string) (bool, error) {
	s, err := unwrap(svc)
	if err != nil {
		return false, err
	}
	if _, _, err := s.users.ByUsername(ctx, PlatformTenant, NormalizeUsername(username)); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	in := UserInput{Username: username, DisplayName: "Platform admin", Language: "fr", Password: password}
	roles, err := ValidateUserInput(in, "", true)
	if err != nil {
		return false, err
	}
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return false, err
	}
	u := NewUser(newID(), PlatformTenant, in, roles, hash, s.now())
	ev, err := s.userEvent(ctx, EventUserCreated, u, nil)
	if err != nil {
		return false, err
	}
	if err := s.users.Insert(ctx, u, ev); err != nil {
		if errors.Is(err, ErrDuplicateUsername) {
			return false, nil
		}
		return false, err
	}
	s.audit.Record(ctx, AuditRecord{Action: "bootstrap_platform_admin", Outcome: "success", Tenant: PlatformTenant,
		ActorID: "system", TargetType: "user", TargetID: u.ID()})
	return true, nil
}

func newID() string { return uuid.NewString() }

// isDuplicate tells whether err is the "username taken" validation error.
func isDuplicate(err error) bool {
	var pe *problem.Error
	if errors.As(err, &pe) {
		for _, f := range pe.Fields {
			if f.Code == "duplicate" {
				return true
			}
		}
	}
	return false
}

func unwrap(svc Service) (*service, error) {
	s, ok := svc.(*service)
	if !ok {
		return nil, fmt.Errorf("identity: start-up tasks need the undecorated service, got %T", svc)
	}
	return s, nil
}

// DemoTenantCode is the code of the demo tenant.
const DemoTenantCode = "demo"

// DemoKBO is a valid (check digits) but fictitious enterprise number.
const DemoKBO = "0207.123.407"

// DemoPlatformAdmin is the demo platform admin's username.
const DemoPlatformAdmin = "plateforme"

// Login is a username and password SeedDemo made, for the all-in-one to print, with the user's id so other
// services' demo data can assign work to them.
type Login struct {
	Tenant   string
	Username string
	Password string
	Role     Role
	UserID   string
	// Name is the user's display name (the decisions demo prints it in the committee's minutes).
	Name string
}

// DemoOptions tune SeedDemo; zero values take the defaults.
type DemoOptions struct {
	// Password of every demo user [DemoPassword].
	Password string
	// PlatformAdmin is the platform admin's username [DemoPlatformAdmin].
	PlatformAdmin string
}

var demoUsers = []struct {
	username, name string
	role           Role
}{
	{"admin", "Aline Admin", RoleTenantAdmin},
	{"assistant", "Amélie Assistante", RoleSocialWorker},
	{"assistant2", "Bart Vermeulen", RoleSocialWorker},
	{"assistant3", "Fatima El Amrani", RoleSocialWorker},
	{"chef", "Charles Chef de service", RoleSocialServiceHead},
	{"membre", "Marie Membre", RoleCommitteeMember},
	{"membre2", "Jan Janssens", RoleCommitteeMember},
	{"membre3", "Nadia Lambert", RoleCommitteeMember},
	{"secretaire", "Sébastien Secrétaire", RoleCommitteeSecretary},
	{"president", "Paul Président", RolePresident},
	{"comptable", "Claire Comptable", RoleAccountant},
	{"directeur", "Didier Directeur financier", RoleFinanceDirector},
	{"dpo", "Delphine DPO", RoleDPO},
}

// SeedDemo makes the demo tenant ("demo", "CPAS de Démo", French) with one user per role (three social workers,
// so the beneficiaries demo can spread files over them, and three committee members, so the decisions demo's
// committee keeps its quorum with one member excused), and the platform admin, skipping whatever already exists (it is safe at every start). It returns every demo login. The
// passwords are known to anyone who reads this code: for a local demo, never for real data.
func SeedDemo(ctx context.Context, db *mongo.Database, opts DemoOptions, argon Argon2Params) ([]Login, error) {
	if err := EnsureIndexes(ctx, db); err != nil {
		return nil, err
	}
	svc, err := NewService(NewUserStore(db, nil), NewTenantStore(db, nil), NewSessionStore(db), nil, nil,
		newAuditor(db, slog.New(slog.DiscardHandler), nil), ServiceConfig{Audiences: []string{Audience}, RefreshTTL: MaxAccessTTL, Argon2: argon})
	if err != nil {
		return nil, err
	}
	return seedDemo(ctx, svc, opts)
}

func seedDemo(ctx context.Context, svc Service, opts DemoOptions) ([]Login, error) {
	s, err := unwrap(svc)
	if err != nil {
		return nil, err
	}
	if opts.Password == "" {
		opts.Password = DemoPassword
	}
	if opts.PlatformAdmin == "" {
		opts.PlatformAdmin = DemoPlatformAdmin
	}
	if _, err := BootstrapPlatformAdmin(ctx, svc, opts.PlatformAdmin, opts.Password); err != nil {
		return nil, err
	}
	admin, _, err := s.users.ByUsername(ctx, PlatformTenant, NormalizeUsername(opts.PlatformAdmin))
	if err != nil {
		return nil, err
	}
	logins := []Login{{Tenant: PlatformTenant, Username: opts.PlatformAdmin, Password: opts.Password, Role: RolePlatformAdmin, UserID: admin.ID()}}
	if _, err := s.tenants.ByCode(ctx, DemoTenantCode); errors.Is(err, ErrNotFound) {
		first := demoUsers[0]
		_, _, err := s.CreateTenant(ctx, systemActor(PlatformTenant),
			TenantInput{Code: DemoTenantCode, Name: "CPAS de Démo", KBO: DemoKBO, Language: "fr"},
			UserInput{Username: first.username, DisplayName: first.name, Password: opts.Password})
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	for _, d := range demoUsers {
		if _, _, err := s.users.ByUsername(ctx, DemoTenantCode, d.username); errors.Is(err, ErrNotFound) {
			_, err := s.CreateUser(ctx, systemActor(DemoTenantCode), UserInput{Username: d.username, DisplayName: d.name,
				Email: d.username + "@demo.entraide.invalid", Roles: []string{string(d.role)}, Language: "fr", Password: opts.Password})
			if err != nil && !isDuplicate(err) {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
		// Read back rather than trust the creation: a concurrent start may have made the user.
		u, _, err := s.users.ByUsername(ctx, DemoTenantCode, d.username)
		if err != nil {
			return nil, err
		}
		logins = append(logins, Login{Tenant: DemoTenantCode, Username: d.username, Password: opts.Password, Role: d.role, UserID: u.ID(), Name: d.name})
	}
	return logins, nil
}
