package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/lang"
)

// The DPO's audit trail (identity service, GET /v1/audit): who read or changed what, in which social file, for
// which declared purpose, with which outcome. The filter (an actor chosen from the staff directory, a file id, an
// action, a date range) is posted and kept in the session, never in a URL; pages are the service's cursors, kept
// in the session too, so the page links carry only a page number.

// auditPageSize is the number of records per page.
const auditPageSize = 50

// auditMaxPages bounds the cursors a session keeps (pages beyond are reached again from the first).
const auditMaxPages = 200

// AuditFilter is the DPO's current filter of the audit trail; From and To are days (YYYY-MM-DD).
type AuditFilter struct {
	Actor  string `json:"a,omitempty"`
	File   string `json:"f,omitempty"`
	Action string `json:"c,omitempty"`
	From   string `json:"fr,omitempty"`
	To     string `json:"to,omitempty"`
}

func (f AuditFilter) values() url.Values {
	return url.Values{"actor": {f.Actor}, "file": {f.File}, "action": {f.Action}, "from": {f.From}, "to": {f.To}}
}

// AuditEntry is one record of the trail.
type AuditEntry struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	ActorID      string    `json:"actor_id"`
	ActorRoles   []string  `json:"actor_roles"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	FileID       string    `json:"file_id"`
	Purpose      string    `json:"purpose"`
	Outcome      string    `json:"outcome"`
}

// AuditPage is one page of the trail; Next is the cursor of the following one.
type AuditPage struct {
	Items []AuditEntry `json:"items"`
	Next  string       `json:"next"`
}

// SearchAudit reads one page of the tenant's audit trail (the DPO), after the cursor after.
func (c *IdentityClient) SearchAudit(ctx context.Context, cl call, f AuditFilter, after string, size int) (AuditPage, error) {
	v := url.Values{}
	for k, vs := range f.values() {
		if vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	if after != "" {
		v.Set("after", after)
	}
	v.Set("size", strconv.Itoa(size))
	var p AuditPage
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/audit?"+v.Encode(), nil, &p)
	return p, err
}

var auditFields = []formField{
	{Name: "actor", Label: "audit.actor"},
	{Name: "file", Label: "audit.file"},
	{Name: "action", Label: "audit.action"},
	{Name: "from", Label: "audit.from"},
	{Name: "to", Label: "audit.to"},
}

// auditData is the page data of audit.html.
type auditData struct {
	Filter  AuditFilter
	Entries []AuditEntry
	Staff   []StaffMember
	Names   staffNames
	Pager   pager
	Active  bool
	// OtherActor is the filter's actor when the directory does not list them ("system", "anonymous").
	OtherActor string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	filter := sess.AuditFilter()
	page := pageNumber(r)
	cursors := sess.AuditCursors()
	if page > len(cursors)+1 {
		// A page whose cursor this session never received: start from the first.
		http.Redirect(w, r, "/audit", http.StatusSeeOther)
		return
	}
	names, staff := s.staffDirectory(r, sess)
	f := newForm(auditFields, filter.values())
	d := auditData{Filter: filter, Staff: staff, Names: names, Pager: pager{Page: page, Pages: page}, Active: filter != AuditFilter{}}
	if _, known := names[filter.Actor]; filter.Actor != "" && !known {
		d.OtherActor = filter.Actor
	}
	after := ""
	if page > 1 {
		after = cursors[page-2]
	}
	status := http.StatusOK
	res, err := s.identity.SearchAudit(r.Context(), s.call(r, sess), filter, after, auditPageSize)
	var ae *APIError
	switch {
	case err == nil:
		d.Entries = res.Items
		if page > 1 {
			d.Pager.Prev = "/audit?page=" + strconv.Itoa(page-1)
		}
		if res.Next != "" && page < auditMaxPages {
			d.Pager.Pages, d.Pager.Next = page+1, "/audit?page="+strconv.Itoa(page+1)
			if err := s.sessions.SetAuditCursors(r.Context(), sess, append(cursors[:page-1:page-1], res.Next)); err != nil {
				s.internalError(w, r, err)
				return
			}
		}
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		status = http.StatusUnprocessableEntity
	default:
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("audit.title")
	s.render(w, r, status, "audit", v)
}

// searchAudit keeps the posted filter in the session and shows its first page.
func (s *Server) searchAudit(w http.ResponseWriter, r *http.Request, sess *Session) {
	field := func(name string) string {
		v := strings.TrimSpace(r.PostFormValue(name))
		if len(v) > 100 {
			v = v[:100]
		}
		return v
	}
	f := AuditFilter{Actor: field("actor"), File: field("file"), Action: field("action"), From: field("from"), To: field("to")}
	if r.PostFormValue("clear") != "" {
		f = AuditFilter{}
	}
	if err := s.sessions.SetAuditFilter(r.Context(), sess, f); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/audit", http.StatusSeeOther)
}

// AuditRoles names the roles of a record's actor; a role the catalog does not know ("system") keeps its code.
func (v *view) AuditRoles(roles []string) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r
		if _, ok := catalogs[lang.Default]["role."+r]; ok {
			names[i] = v.Role(r)
		}
	}
	return strings.Join(names, ", ")
}
