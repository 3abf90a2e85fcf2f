package identity

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/problem"
)

// PlatformTenant is the pseudo-tenant of the platform operators: their tokens carry tenant "platform". No CPAS
// may take this code.
const PlatformTenant = "platform"

// PlatformTenantName names the platform pseudo-tenant on screens.
const PlatformTenantName = "Entraide"

// KBO is a Belgian enterprise number (numéro BCE / KBO-nummer): 10 digits, the first 0 or 1, the last two a
// check = 97 - (first eight mod 97). Every CPAS has one.
type KBO string

// ParseKBO accepts "0207.123.407", "0207 123 407", "BE0207123407" or "0207123407" and returns the canonical
// dotted form.
func ParseKBO(s string) (KBO, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "BE")
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == '.' || r == ' ' || r == '-':
			return -1
		}
		return 'x'
	}, s)
	if len(digits) == 9 {
		digits = "0" + digits // the old 9-digit form
	}
	if len(digits) != 10 || strings.ContainsRune(digits, 'x') || (digits[0] != '0' && digits[0] != '1') {
		return "", false
	}
	base, _ := strconv.Atoi(digits[:8])
	check, _ := strconv.Atoi(digits[8:])
	if 97-base%97 != check {
		return "", false
	}
	return KBO(digits[:4] + "." + digits[4:7] + "." + digits[7:]), true
}

var tenantCode = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// TenantLanguages are the languages a CPAS works in (Belgium's three official languages).
var TenantLanguages = []string{"fr", "nl", "de"}

// Tenant is a CPAS: its code (in logins and tokens), name, enterprise number and working language.
type Tenant struct {
	id        string
	code      string
	name      string
	kbo       KBO
	language  string
	createdAt time.Time
}

// TenantInput is what a platform admin gives to create a tenant.
type TenantInput struct {
	Code, Name, KBO, Language string
}

// NewTenant validates in and returns the tenant, or a validation error listing every field at fault.
func NewTenant(id string, in TenantInput, now time.Time) (*Tenant, error) {
	var fs problem.Fields
	code := strings.ToLower(strings.TrimSpace(in.Code))
	switch {
	case code == "":
		fs.Add("code", "required")
	case code == PlatformTenant:
		fs.Add("code", "identity.code_reserved")
	case !tenantCode.MatchString(code):
		fs.Add("code", "identity.tenant_code_invalid")
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		fs.Add("name", "required")
	case len([]rune(name)) > 200:
		fs.Add("name", "too_long", "max", 200)
	}
	kbo, ok := ParseKBO(in.KBO)
	switch {
	case strings.TrimSpace(in.KBO) == "":
		fs.Add("kbo", "required")
	case !ok:
		fs.Add("kbo", "identity.kbo_invalid")
	}
	switch {
	case in.Language == "":
		fs.Add("language", "required")
	case !oneOf(in.Language, TenantLanguages):
		fs.Add("language", "invalid_choice")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	return &Tenant{id: id, code: code, name: name, kbo: kbo, language: in.Language, createdAt: now.UTC()}, nil
}

// ID is the tenant's UUID.
func (t *Tenant) ID() string { return t.id }

// Code is the tenant code ("demo").
func (t *Tenant) Code() string { return t.code }

// Name is the CPAS's name.
func (t *Tenant) Name() string { return t.name }

// KBO is the enterprise number.
func (t *Tenant) KBO() KBO { return t.kbo }

// Language is the CPAS's working language.
func (t *Tenant) Language() string { return t.language }

// CreatedAt is when the tenant was created.
func (t *Tenant) CreatedAt() time.Time { return t.createdAt }

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
