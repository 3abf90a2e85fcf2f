package web

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// The staff directory: who signed in to the web front end, per tenant (user id, username, display name, roles).
//
// The beneficiaries service names workers by their identity user id (assignee, team members, note authors), and
// only a tenant admin may list users at the identity service. So that a head of service can choose a team's
// members or a file's assignee by name, and the pages show names rather than ids, the front end remembers each
// user at login. A colleague who never signed in is not listed yet (their id can still be typed). Staff names
// are not beneficiaries' personal data; the collection holds nothing else.
const directoryCollection = "web_directory"

// StaffMember is a user as the directory knows them.
type StaffMember struct {
	UserID      string    `bson:"user_id"`
	Tenant      string    `bson:"tenant"`
	Username    string    `bson:"username"`
	DisplayName string    `bson:"display_name"`
	Roles       []string  `bson:"roles"`
	SeenAt      time.Time `bson:"seen_at"`
}

// HasRole tells whether the member has role.
func (m StaffMember) HasRole(role string) bool {
	for _, r := range m.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Directory keeps the staff directory in MongoDB.
type Directory struct{ coll *mongo.Collection }

// NewDirectory returns the directory over db's web_directory collection.
func NewDirectory(db *mongo.Database) *Directory {
	return &Directory{coll: db.Collection(directoryCollection)}
}

// EnsureIndexes creates the index the directory lists by.
func (d *Directory) EnsureIndexes(ctx context.Context) error {
	return store.EnsureIndexes(ctx, d.coll, mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}}})
}

func directoryKey(tenant, userID string) string { return tenant + "/" + userID }

// Remember records a user who just signed in.
func (d *Directory) Remember(ctx context.Context, u User, at time.Time) error {
	key := directoryKey(u.Tenant, u.ID)
	unlock := store.LockDocument(d.coll, key)
	defer unlock()
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	_, err := d.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "_id", Value: key}, {Key: "user_id", Value: u.ID}, {Key: "tenant", Value: u.Tenant}, {Key: "username", Value: u.Username},
			{Key: "display_name", Value: u.DisplayName}, {Key: "roles", Value: roles}, {Key: "seen_at", Value: at}},
		options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	return nil
}

// Staff lists the tenant's users known to the directory, by display name.
func (d *Directory) Staff(ctx context.Context, tenant string) ([]StaffMember, error) {
	cur, err := d.coll.Find(ctx, bson.D{{Key: "tenant", Value: tenant}}, options.Find().SetLimit(2000))
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	var out []StaffMember
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DisplayName < out[j].DisplayName })
	return out, nil
}

// staffNames maps user ids to display names, for the pages.
type staffNames map[string]string

// Name is a user's display name, or their id when the directory does not know them.
func (n staffNames) Name(id string) string {
	if v, ok := n[id]; ok && v != "" {
		return v
	}
	return id
}

// staffNames returns the display names of the tenant's known users; a failure leaves the ids shown.
func (s *Server) staffNames(ctx context.Context, tenant string) (staffNames, []StaffMember) {
	staff, err := s.directory.Staff(ctx, tenant)
	if err != nil {
		s.log.WarnContext(ctx, "staff directory unavailable", "error", err.Error())
	}
	out := staffNames{}
	for _, m := range staff {
		out[m.UserID] = m.DisplayName
	}
	return out, staff
}
