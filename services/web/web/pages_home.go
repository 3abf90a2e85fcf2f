package web

import (
	"errors"
	"net/http"

	"github.com/entraide/entraide/libs/httpkit"
)

// homeData is what the home page shows besides the header: the pages the user may open.
type homeData struct {
	Entries             []navEntry
	Caseload            *caseloadData
	CaseloadUnavailable bool
}

// home greets the user and lists the pages their roles open. A social worker's or head's home page shows their
// caseload too: where the day starts. Should the registry not answer, the rest of the page still does.
func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *Session) {
	var d homeData
	if s.authorize(sess.Tenant, sess.Roles(), http.MethodGet, "/caseload") {
		items, err := s.registry.Caseload(r.Context(), s.call(r, sess))
		switch {
		case err == nil:
			d.Caseload = pageOfCaseload(items, "/", pageNumber(r))
		case errors.Is(err, ErrBeneficiariesUnavailable):
			s.log.WarnContext(r.Context(), "home: caseload unavailable", "request_id", httpkit.RequestID(r.Context()), "error", err.Error())
			d.CaseloadUnavailable = true
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	v := &view{Lang: langOf(r), Session: sess}
	v.Title = v.T("home.title")
	var entries []navEntry
	for _, e := range s.authorize.navFor(sess) {
		if e.Route != "/" {
			entries = append(entries, e)
		}
	}
	d.Entries = entries
	v.Data = d
	s.render(w, r, http.StatusOK, "home", v)
}
