package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Collections of the identity service.
const (
	CollUsers         = "users"
	CollTenants       = "tenants"
	CollFamilies      = "refresh_families"
	CollLoginAttempts = "login_attempts"
)

// Storage errors the service distinguishes.
var (
	ErrDuplicateUsername = errors.New("identity: username taken in this tenant")
	ErrDuplicateCode     = errors.New("identity: tenant code taken")
)

// EnsureIndexes creates the indexes the service relies on; it is idempotent. The unique ones are rules, not
// speed-ups: a username once per tenant, a tenant code once.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	for coll, models := range map[string][]mongo.IndexModel{
		CollUsers: {
			{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "username", Value: 1}}, Options: options.Index().SetUnique(true).SetName("tenant_username_unique")},
			{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "display_name", Value: 1}, {Key: "_id", Value: 1}}, Options: options.Index().SetName("tenant_display_name")},
		},
		CollTenants: {
			{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetUnique(true).SetName("code_unique")},
		},
		CollFamilies: {
			{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "user_id", Value: 1}}, Options: options.Index().SetName("families_tenant_user")},
			{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("families_expires_at")},
		},
		CollLoginAttempts: {
			{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("attempts_expires_at")},
		},
	} {
		if err := store.EnsureIndexes(ctx, db.Collection(coll), models...); err != nil {
			return fmt.Errorf("identity: %w", err)
		}
	}
	if err := audit.NewWriter(db.Collection(audit.CollectionName), EventSource, nil).EnsureIndexes(ctx); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// userState is a user document's state (store.Repository adds _id, tenant, version and outbox).
type userState struct {
	Username     string    `bson:"username"`
	DisplayName  string    `bson:"display_name"`
	Email        string    `bson:"email"`
	Roles        []string  `bson:"roles"`
	Language     string    `bson:"language"`
	Disabled     bool      `bson:"disabled"`
	PasswordHash string    `bson:"password_hash"`
	Search       string    `bson:"search"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

func userToState(u *User) userState {
	return userState{Username: u.username, DisplayName: u.displayName, Email: u.email, Roles: roleStrings(u.roles),
		Language: u.language, Disabled: u.disabled, PasswordHash: u.passwordHash, Search: u.SearchText(),
		CreatedAt: u.createdAt, UpdatedAt: u.updatedAt}
}

func userFromState(id, tenant string, s userState) *User {
	roles := make([]Role, len(s.Roles))
	for i, r := range s.Roles {
		roles[i] = Role(r)
	}
	return &User{id: id, tenant: tenant, username: s.Username, displayName: s.DisplayName, email: s.Email, roles: roles,
		language: s.Language, disabled: s.Disabled, passwordHash: s.PasswordHash, createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC()}
}

// UserStore keeps users, one versioned document each with its outbox of events.
type UserStore struct {
	repo *store.Repository[userState]
}

// NewUserStore stores users in db; onWrite wakes the outbox relay (may be nil).
func NewUserStore(db *mongo.Database, onWrite func(collection, id string)) *UserStore {
	return &UserStore{repo: store.NewRepository[userState](db.Collection(CollUsers), onWrite)}
}

// Insert stores a new user (version 1) with its events.
func (s *UserStore) Insert(ctx context.Context, u *User, evs ...events.Event) error {
	err := s.repo.Insert(ctx, u.tenant, u.id, userToState(u), evs...)
	if errors.Is(err, store.ErrDuplicate) {
		// Ids are fresh UUIDs: the duplicate is the unique (tenant, username) index.
		return ErrDuplicateUsername
	}
	return err
}

// ByID loads a user of tenant; another tenant's user is ErrNotFound.
func (s *UserStore) ByID(ctx context.Context, tenant, id string) (*User, int64, error) {
	v, err := s.repo.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return userFromState(v.ID, v.Tenant, v.State), v.Version, nil
}

type userDoc struct {
	ID      string    `bson:"_id"`
	Tenant  string    `bson:"tenant"`
	Version int64     `bson:"version"`
	State   userState `bson:",inline"`
}

// ByUsername finds a user by normalized username within tenant.
func (s *UserStore) ByUsername(ctx context.Context, tenant, username string) (*User, int64, error) {
	scope, err := store.NewTenanted(s.repo.Collection(), tenant)
	if err != nil {
		return nil, 0, err
	}
	var d userDoc
	err = scope.FindOne(ctx, bson.D{{Key: "username", Value: username}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("identity: find user: %w", err)
	}
	return userFromState(d.ID, d.Tenant, d.State), d.Version, nil
}

// searchFilter matches documents whose folded search text has a word starting with the folded query.
func searchFilter(q string) bson.D {
	if q == "" {
		return bson.D{}
	}
	return bson.D{{Key: "search", Value: bson.D{{Key: "$regex", Value: `(^| )` + regexp.QuoteMeta(q)}}}}
}

// List returns one page of tenant's users sorted by username, with their versions and the total count.
func (s *UserStore) List(ctx context.Context, tenant string, q PageQuery) ([]*User, []int64, int64, error) {
	scope, err := store.NewTenanted(s.repo.Collection(), tenant)
	if err != nil {
		return nil, nil, 0, err
	}
	f := searchFilter(q.Q)
	total, err := scope.Count(ctx, f)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("identity: count users: %w", err)
	}
	cur, err := scope.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "username", Value: 1}}).
		SetSkip(int64((q.Page-1)*q.PageSize)).SetLimit(int64(q.PageSize)).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("identity: list users: %w", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, nil, 0, fmt.Errorf("identity: list users: %w", err)
	}
	users := make([]*User, len(docs))
	versions := make([]int64, len(docs))
	for i, d := range docs {
		users[i], versions[i] = userFromState(d.ID, d.Tenant, d.State), d.Version
	}
	return users, versions, total, nil
}

// Staff returns one page of tenant's staff directory sorted by display name (then id, for a stable order), holders
// of role only when role is not empty, and the total. Only the directory's fields are read from the database.
func (s *UserStore) Staff(ctx context.Context, tenant, role string, page, size int) ([]StaffMember, int64, error) {
	scope, err := store.NewTenanted(s.repo.Collection(), tenant)
	if err != nil {
		return nil, 0, err
	}
	f := bson.D{}
	if role != "" {
		// Equality with an array field matches documents whose array holds the value.
		f = bson.D{{Key: "roles", Value: role}}
	}
	total, err := scope.Count(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("identity: count staff: %w", err)
	}
	cur, err := scope.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "display_name", Value: 1}, {Key: "_id", Value: 1}}).
		SetSkip(int64((page-1)*size)).SetLimit(int64(size)).
		SetProjection(bson.D{{Key: "display_name", Value: 1}, {Key: "roles", Value: 1}, {Key: "disabled", Value: 1}}))
	if err != nil {
		return nil, 0, fmt.Errorf("identity: list staff: %w", err)
	}
	var docs []struct {
		ID          string   `bson:"_id"`
		DisplayName string   `bson:"display_name"`
		Roles       []string `bson:"roles"`
		Disabled    bool     `bson:"disabled"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, fmt.Errorf("identity: list staff: %w", err)
	}
	out := make([]StaffMember, len(docs))
	for i, d := range docs {
		roles := d.Roles
		if roles == nil {
			roles = []string{}
		}
		out[i] = StaffMember{ID: d.ID, DisplayName: d.DisplayName, Roles: roles, Disabled: d.Disabled}
	}
	return out, total, nil
}

// Update loads a user of tenant, lets fn change it and return the events of the change, and saves both in one
// version-guarded write. expected > 0 is the version the client read (If-Match): another version is a
// *VersionMismatchError. A concurrent write is ErrConflict. It returns the user as saved and its version.
func (s *UserStore) Update(ctx context.Context, tenant, id string, expected int64, fn func(*User) ([]events.Event, error)) (*User, int64, error) {
	var saved *User
	apply := func(st *userState) ([]events.Event, error) {
		u := userFromState(id, tenant, *st)
		evs, err := fn(u)
		if err != nil {
			return nil, err
		}
		*st = userToState(u)
		saved = u
		return evs, nil
	}
	var version int64
	var err error
	if expected > 0 {
		version, err = s.repo.UpdateIfVersion(ctx, tenant, id, expected, apply)
	} else {
		version, err = s.repo.Update(ctx, tenant, id, apply)
	}
	var ce *store.ConflictError
	switch {
	case err == nil:
		return saved, version, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, 0, ErrNotFound
	case expected > 0 && errors.As(err, &ce) && ce.Current != expected:
		return nil, 0, &VersionMismatchError{Current: ce.Current}
	case errors.Is(err, store.ErrConflict):
		return nil, 0, fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return nil, 0, err
}

// tenantState is a tenant document's state; the document's `tenant` field is the tenant's own code.
type tenantState struct {
	Code      string    `bson:"code"`
	Name      string    `bson:"name"`
	KBO       string    `bson:"kbo"`
	Language  string    `bson:"language"`
	Search    string    `bson:"search"`
	CreatedAt time.Time `bson:"created_at"`
}

type tenantDoc struct {
	ID    string      `bson:"_id"`
	State tenantState `bson:",inline"`
}

func (d tenantDoc) tenant() *Tenant {
	s := d.State
	return &Tenant{id: d.ID, code: s.Code, name: s.Name, kbo: KBO(s.KBO), language: s.Language, createdAt: s.CreatedAt.UTC()}
}

// TenantStore keeps tenants.
type TenantStore struct {
	repo *store.Repository[tenantState]
}

// NewTenantStore stores tenants in db; onWrite wakes the outbox relay (may be nil).
func NewTenantStore(db *mongo.Database, onWrite func(collection, id string)) *TenantStore {
	return &TenantStore{repo: store.NewRepository[tenantState](db.Collection(CollTenants), onWrite)}
}

// Insert stores a new tenant with its events.
func (s *TenantStore) Insert(ctx context.Context, t *Tenant, evs ...events.Event) error {
	st := tenantState{Code: t.code, Name: t.name, KBO: string(t.kbo), Language: t.language,
		Search: FoldForSearch(t.code + " " + t.name), CreatedAt: t.createdAt}
	err := s.repo.Insert(ctx, t.code, t.id, st, evs...)
	if errors.Is(err, store.ErrDuplicate) {
		return ErrDuplicateCode
	}
	return err
}

// Delete removes a tenant (only to undo a creation that could not finish).
func (s *TenantStore) Delete(ctx context.Context, id string) error {
	_, err := s.repo.Collection().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return err
}

func (s *TenantStore) findOne(ctx context.Context, f bson.D) (*Tenant, error) {
	var d tenantDoc
	err := s.repo.Collection().FindOne(ctx, f, options.FindOne().SetProjection(bson.D{{Key: store.OutboxField, Value: 0}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("identity: find tenant: %w", err)
	}
	return d.tenant(), nil
}

// ByID finds a tenant by id (platform admins only: a tenant is its own scope).
func (s *TenantStore) ByID(ctx context.Context, id string) (*Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
}

// ByCode finds a tenant by code.
func (s *TenantStore) ByCode(ctx context.Context, code string) (*Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "code", Value: code}})
}

// List returns one page of tenants sorted by code, and the total.
func (s *TenantStore) List(ctx context.Context, q PageQuery) ([]*Tenant, int64, error) {
	f := searchFilter(q.Q)
	coll := s.repo.Collection()
	total, err := coll.CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("identity: count tenants: %w", err)
	}
	cur, err := coll.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "code", Value: 1}}).
		SetSkip(int64((q.Page-1)*q.PageSize)).SetLimit(int64(q.PageSize)).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, 0, fmt.Errorf("identity: list tenants: %w", err)
	}
	var docs []tenantDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, fmt.Errorf("identity: list tenants: %w", err)
	}
	out := make([]*Tenant, len(docs))
	for i, d := range docs {
		out[i] = d.tenant()
	}
	return out, total, nil
}

// familyDoc is a refresh-token family as stored.
type familyDoc struct {
	ID        string    `bson:"_id"`
	Tenant    string    `bson:"tenant"`
	UserID    string    `bson:"user_id"`
	Audience  []string  `bson:"audience"`
	Current   string    `bson:"current"`
	Spent     []string  `bson:"spent"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
	Revoked   bool      `bson:"revoked"`
}

// SessionStore keeps refresh-token families. Writes to one family hold store.LockDocument: FerretDB loses one
// of two concurrent updates of a document, and a lost revocation or a doubled rotation would defeat reuse
// detection.
type SessionStore struct {
	coll *mongo.Collection
}

// NewSessionStore stores families in db.
func NewSessionStore(db *mongo.Database) *SessionStore {
	return &SessionStore{coll: db.Collection(CollFamilies)}
}

// Insert stores a new family.
func (s *SessionStore) Insert(ctx context.Context, f *Family) error {
	_, err := s.coll.InsertOne(ctx, familyDoc{ID: f.ID, Tenant: f.Tenant, UserID: f.UserID, Audience: f.Audience,
		Current: f.Current, Spent: []string{}, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt})
	if err != nil {
		return fmt.Errorf("identity: insert session: %w", err)
	}
	return nil
}

// Get loads a family by id.
func (s *SessionStore) Get(ctx context.Context, id string) (*Family, error) {
	var d familyDoc
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("identity: load session: %w", err)
	}
	return &Family{ID: d.ID, Tenant: d.Tenant, UserID: d.UserID, Audience: d.Audience, Current: d.Current, Spent: d.Spent,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(), Revoked: d.Revoked}, nil
}

// Rotate replaces the family's current token hash by next, remembering old as spent, provided old is still the
// current one and the family is live; otherwise ErrConflict.
func (s *SessionStore) Rotate(ctx context.Context, id, old, next string) error {
	unlock := store.LockDocument(s.coll, id)
	defer unlock()
	res, err := s.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "current", Value: old}, {Key: "revoked", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "current", Value: next}}}, {Key: "$push", Value: bson.D{{Key: "spent", Value: old}}}})
	if err != nil {
		return fmt.Errorf("identity: rotate session: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}

// Revoke ends a family.
func (s *SessionStore) Revoke(ctx context.Context, id string) error {
	unlock := store.LockDocument(s.coll, id)
	defer unlock()
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked", Value: true}}}})
	if err != nil {
		return fmt.Errorf("identity: revoke session: %w", err)
	}
	return nil
}

// RevokeUser ends every live family of a user except the one named except (may be empty). Each family is
// revoked by _id under its lock, never by an update of many documents, for the reason given on SessionStore.
func (s *SessionStore) RevokeUser(ctx context.Context, tenant, userID, except string) error {
	scope, err := store.NewTenanted(s.coll, tenant)
	if err != nil {
		return err
	}
	cur, err := scope.Find(ctx, bson.D{{Key: "user_id", Value: userID}, {Key: "revoked", Value: false}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("identity: find sessions: %w", err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return fmt.Errorf("identity: find sessions: %w", err)
	}
	for _, d := range ids {
		if d.ID == except {
			continue
		}
		if err := s.Revoke(ctx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// PurgeEnded deletes families that ended more than a day before now (kept a day so a late reuse is still
// recognized and audited). FerretDB has no TTL index, so the service calls this periodically.
func (s *SessionStore) PurgeEnded(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.coll.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: now.Add(-24 * time.Hour)}}}})
	if err != nil {
		return 0, fmt.Errorf("identity: purge sessions: %w", err)
	}
	return res.DeletedCount, nil
}
