package web

import (
	"errors"
	"net/http"
	"strconv"
)

// The caseload: the open files assigned to the signed-in social worker (or to one of their teams), with the
// applicant's name, the date of the last journal note and the open tasks, which can be marked done here. It is
// the home page of social workers and of the head of service.

// caseloadData is the page data of caseload.html.
type caseloadData struct {
	Items []CaseloadItem
	// Return is where marking a task done comes back to ("/" or "/caseload").
	Return string
}

func (s *Server) caseloadPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	items, err := s.registry.Caseload(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess}
	v.Title = v.T("caseload.title")
	v.Data = caseloadData{Items: items, Return: "/caseload"}
	s.render(w, r, http.StatusOK, "caseload", v)
}

// completeTask marks a task done (If-Match on the version shown) and returns to the caseload.
func (s *Server) completeTask(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	back := "/caseload"
	if r.PostFormValue("return") == "/" {
		back = "/"
	}
	err = s.registry.CompleteTask(r.Context(), s.call(r, sess), r.PathValue("id"), version)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.task_done")
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		s.setFlash(w, r, "flash.task_conflict")
	default:
		s.apiFailed(w, r, sess, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
