package identity

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/entraide/entraide/libs/lang"
	"github.com/entraide/entraide/libs/problem"
)

// Domain errors; the transport maps each to one HTTP answer.
var (
	ErrNotFound           = errors.New("identity: not found")
	ErrInvalidCredentials = errors.New("identity: invalid credentials")
	ErrInvalidSession     = errors.New("identity: invalid or ended session")
	ErrVersionMismatch    = errors.New("identity: version mismatch")
	ErrConflict           = errors.New("identity: changed concurrently")
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// Password length bounds. The upper bound keeps hashing cost and request size sane, not the password weak.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// User is a person who logs in to one tenant with a username and a password and acts with roles.
type User struct {
	id           string
	tenant       string
	username     string
	displayName  string
	email        string
	roles        []Role
	language     string
	disabled     bool
	passwordHash string
	createdAt    time.Time
	updatedAt    time.Time
}

// UserInput is what an admin gives to create a user.
type UserInput struct {
	Username, DisplayName, Email string
	Roles                        []string
	Language                     string
	Password                     string
}

// NormalizeUsername is how usernames are compared and stored: trimmed and lower-cased.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validatePassword checks a new password's length; field is the JSON field reported.
func validatePassword(field, pw string, fs *problem.Fields) {
	n := len([]rune(pw))
	switch {
	case pw == "":
		fs.Add(field, "required")
	case n < MinPasswordLength:
		fs.Add(field, "too_short", "min", MinPasswordLength)
	case n > MaxPasswordLength:
		fs.Add(field, "too_long", "max", MaxPasswordLength)
	}
}

// ValidateUserInput checks every field of in; roles may include platform_admin only when platform is true
// (the platform admin bootstrap). It returns the parsed roles.
func ValidateUserInput(in UserInput, prefix string, platform bool) ([]Role, error) {
	var fs problem.Fields
	username := NormalizeUsername(in.Username)
	switch {
	case username == "":
		fs.Add(prefix+"username", "required")
	case !usernamePattern.MatchString(username):
		fs.Add(prefix+"username", "identity.username_invalid")
	}
	name := strings.TrimSpace(in.DisplayName)
	switch {
	case name == "":
		fs.Add(prefix+"display_name", "required")
	case len([]rune(name)) > 100:
		fs.Add(prefix+"display_name", "too_long", "max", 100)
	}
	if email := strings.TrimSpace(in.Email); email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			fs.Add(prefix+"email", "invalid_email")
		}
	}
	var roles []Role
	if platform {
		roles = []Role{RolePlatformAdmin}
	} else {
		roles = parseRoles(prefix+"roles", in.Roles, &fs)
	}
	switch {
	case in.Language == "":
		fs.Add(prefix+"language", "required")
	case !lang.Valid(in.Language):
		fs.Add(prefix+"language", "invalid_choice")
	}
	validatePassword(prefix+"password", in.Password, &fs)
	return roles, fs.Err()
}

// NewUser builds a user of tenant from validated input (see ValidateUserInput) and the hash of its password.
func NewUser(id, tenant string, in UserInput, roles []Role, passwordHash string, now time.Time) *User {
	return &User{
		id: id, tenant: tenant, username: NormalizeUsername(in.Username), displayName: strings.TrimSpace(in.DisplayName),
		email: strings.TrimSpace(in.Email), roles: roles, language: in.Language, passwordHash: passwordHash,
		createdAt: now.UTC(), updatedAt: now.UTC(),
	}
}

// ID is the user's UUID.
func (u *User) ID() string { return u.id }

// Tenant is the tenant code.
func (u *User) Tenant() string { return u.tenant }

// Username is the normalized login name.
func (u *User) Username() string { return u.username }

// DisplayName is the name screens show.
func (u *User) DisplayName() string { return u.displayName }

// Email may be empty.
func (u *User) Email() string { return u.email }

// Roles are the user's roles.
func (u *User) Roles() []Role { return append([]Role(nil), u.roles...) }

// Language is the user's interface language.
func (u *User) Language() string { return u.language }

// Disabled users cannot log in or refresh.
func (u *User) Disabled() bool { return u.disabled }

// PasswordHash is the PHC string of the password hash.
func (u *User) PasswordHash() string { return u.passwordHash }

// CreatedAt is when the user was created.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt is the time of the last change.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// selfLockout is the field error of an admin about to lock themselves out.
func selfLockout(field string) error {
	return problem.Invalid(problem.Field(field, "identity.self_lockout"))
}

// SetRoles replaces the roles. An admin (actorID) cannot remove tenant_admin from themselves: the tenant could be
// left without anyone able to manage users.
func (u *User) SetRoles(actorID string, in []string, now time.Time) error {
	var fs problem.Fields
	roles := parseRoles("roles", in, &fs)
	if err := fs.Err(); err != nil {
		return err
	}
	if actorID == u.id && hasRole(u.roles, RoleTenantAdmin) && !hasRole(roles, RoleTenantAdmin) {
		return selfLockout("roles")
	}
	u.roles, u.updatedAt = roles, now.UTC()
	return nil
}

// Disable stops the user from logging in; not oneself.
func (u *User) Disable(actorID string, now time.Time) error {
	if actorID == u.id {
		return selfLockout("id")
	}
	u.disabled, u.updatedAt = true, now.UTC()
	return nil
}

// Enable lets a disabled user log in again.
func (u *User) Enable(now time.Time) {
	u.disabled, u.updatedAt = false, now.UTC()
}

// SetPasswordHash stores a new password hash (the caller validated and hashed the password).
func (u *User) SetPasswordHash(hash string, now time.Time) {
	u.passwordHash, u.updatedAt = hash, now.UTC()
}

// SearchText is the accent- and case-folded text list searches match word prefixes in.
func (u *User) SearchText() string {
	return FoldForSearch(u.username + " " + u.displayName + " " + u.email)
}

var foldAccents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// FoldForSearch lower-cases s, strips accents and turns every non-alphanumeric run into one space, so that
// "Amélie Dupont-Lefèvre" and "amelie dupont lefevre" match.
func FoldForSearch(s string) string {
	folded, _, err := transform.String(foldAccents, s)
	if err != nil {
		folded = s
	}
	folded = strings.ToLower(folded)
	return strings.Join(strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
}
