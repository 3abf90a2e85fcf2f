package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// The staff directory comes from the identity service (GET /v1/staff): the tenant's colleagues with their id,
// display name, roles and whether they are disabled, never a username nor an e-mail. The beneficiaries service
// names workers by identity user id (assignee, team members, note authors, audit actors): the pages show their
// names, and the head chooses team members and assignees among the social workers.

// StaffMember is a colleague as the staff directory shows them.
type StaffMember struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	Disabled    bool     `json:"disabled"`
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

// staffPageSize is the identity API's largest page; staffMaxPages bounds a directory read (10,000 people).
const (
	staffPageSize = 100
	staffMaxPages = 100
)

// Staff returns one page of the staff directory, only the holders of role when role is not empty.
func (c *IdentityClient) Staff(ctx context.Context, cl call, role string, page, size int) (Page[StaffMember], error) {
	v := url.Values{}
	if role != "" {
		v.Set("role", role)
	}
	v.Set("page", strconv.Itoa(page))
	v.Set("page_size", strconv.Itoa(size))
	var p Page[StaffMember]
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/staff?"+v.Encode(), nil, &p)
	return p, err
}

// AllStaff reads the whole staff directory (every page), by display name.
func (c *IdentityClient) AllStaff(ctx context.Context, cl call) ([]StaffMember, error) {
	var out []StaffMember
	for page := 1; page <= staffMaxPages; page++ {
		p, err := c.Staff(ctx, cl, "", page, staffPageSize)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if len(p.Items) < staffPageSize || len(out) >= p.Total {
			break
		}
	}
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

// staffDirectory reads the whole staff directory with the session's token: the names by id, and everyone by
// display name. A failure leaves the ids shown and nobody to choose.
func (s *Server) staffDirectory(r *http.Request, sess *Session) (staffNames, []StaffMember) {
	all, err := s.identity.AllStaff(r.Context(), s.call(r, sess))
	if err != nil {
		s.log.WarnContext(r.Context(), "staff directory unavailable", "error", err.Error())
	}
	names := staffNames{}
	for _, m := range all {
		names[m.ID] = m.DisplayName
	}
	return names, all
}

// staff is the staff directory's names and the active social workers and heads who can be chosen (team members,
// assignees).
func (s *Server) staff(r *http.Request, sess *Session) (staffNames, []StaffMember) {
	names, all := s.staffDirectory(r, sess)
	var choosable []StaffMember
	for _, m := range all {
		if !m.Disabled && (m.HasRole("social_worker") || m.HasRole("social_service_head")) {
			choosable = append(choosable, m)
		}
	}
	return names, choosable
}
