package identity

import "github.com/entraide/entraide/libs/problem"

// Role is a role of docs/architecture.md; api/policy says what each may do.
type Role string

// The roles. A tenant or platform admin manages users and settings but reads no social data.
const (
	RoleSocialWorker       Role = "social_worker"
	RoleSocialServiceHead  Role = "social_service_head"
	RoleCommitteeMember    Role = "committee_member"
	RoleCommitteeSecretary Role = "committee_secretary"
	RolePresident          Role = "president"
	RoleAccountant         Role = "accountant"
	RoleFinanceDirector    Role = "finance_director"
	RoleDPO                Role = "dpo"
	RoleTenantAdmin        Role = "tenant_admin"
	RolePlatformAdmin      Role = "platform_admin"
)

// AssignableRoles are the roles a tenant admin may give, in the order screens list them: all but platform_admin.
var AssignableRoles = []Role{
	RoleSocialWorker, RoleSocialServiceHead, RoleCommitteeMember, RoleCommitteeSecretary, RolePresident,
	RoleAccountant, RoleFinanceDirector, RoleDPO, RoleTenantAdmin,
}

func assignable(r Role) bool {
	for _, a := range AssignableRoles {
		if a == r {
			return true
		}
	}
	return false
}

// parseRoles checks a role list given by a tenant admin: at least one, each assignable, no repetition. Field
// errors name the list ("roles") or the element ("roles[2]").
func parseRoles(field string, in []string, fs *problem.Fields) []Role {
	if len(in) == 0 {
		fs.Add(field, "required")
		return nil
	}
	seen := map[Role]bool{}
	out := make([]Role, 0, len(in))
	for i, s := range in {
		r := Role(s)
		switch {
		case !assignable(r):
			fs.Add(field+"["+itoa(i)+"]", "invalid_choice")
		case seen[r]:
			fs.Add(field+"["+itoa(i)+"]", "duplicate")
		default:
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func hasRole(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func roleStrings(roles []Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
