package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// The caseload: the open files assigned to the signed-in social worker (or to one of their teams), with the
// applicant's name, the date of the last journal note and the open tasks, which can be marked done here. It is
// the home page of social workers and of the head of service, 25 files a page.
//
// The head's "all files" page: every open file of the tenant, filtered by assigned worker and by team (ids in
// the query string, never a name), 25 a page, with the applicant, the worker (from the staff directory), the
// team, the opening date, the last note and the number of open tasks.

// caseloadPageSize is how many files a page of the caseload (and of the head's list) shows.
const caseloadPageSize = 25

// caseloadData is the page data of caseload.html.
type caseloadData struct {
	// Items are the files of the page shown; Total counts them all.
	Items []CaseloadItem
	Total int
	Pager pager
	// Return is where marking a task done comes back to ("/" or "/caseload").
	Return string
}

// pageOfCaseload cuts the caseload into pages of caseloadPageSize; base is the page's path ("/" or
// "/caseload"), where marking a task done comes back to.
func pageOfCaseload(items []CaseloadItem, base string, page int) *caseloadData {
	d := &caseloadData{Total: len(items), Return: base, Pager: newPager(base, nil, page, caseloadPageSize, len(items))}
	if page > d.Pager.Pages {
		page = d.Pager.Pages
		d.Pager = newPager(base, nil, page, caseloadPageSize, len(items))
	}
	from := min((page-1)*caseloadPageSize, len(items))
	d.Items = items[from:min(from+caseloadPageSize, len(items))]
	return d
}

func (s *Server) caseloadPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	items, err := s.registry.Caseload(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess}
	v.Title = v.T("caseload.title")
	v.Data = pageOfCaseload(items, "/caseload", pageNumber(r))
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

// allFilesData is the page data of files_list.html.
type allFilesData struct {
	Items []FileListItem
	Names staffNames
	// Staff and Teams are the filters' choices; TeamNames names the teams of the rows.
	Staff     []StaffMember
	Teams     []Team
	TeamNames map[string]string
	// Assignee and TeamID are the filters applied (ids).
	Assignee, TeamID string
	Pager            pager
}

// allFilesPage lists every open file of the tenant for the head (the service decides that the head sees them
// all; the policy opens the page to the head only). The listing is read under the default purpose, follow-up.
func (s *Server) allFilesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := r.URL.Query()
	assignee, teamID := q.Get("assignee"), q.Get("team")
	if (assignee != "" && !uuidLike(assignee)) || (teamID != "" && !uuidLike(teamID)) {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	page := pageNumber(r)
	cl := s.call(r, sess)
	list, err := s.registry.ListFiles(r.Context(), cl, Purposes[0], FileFilter{Status: "open", Assignee: assignee, TeamID: teamID,
		Page: page, PageSize: caseloadPageSize})
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	teams, err := s.registry.Teams(r.Context(), cl)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d := allFilesData{Items: list.Items, Teams: teams, TeamNames: map[string]string{}, Assignee: assignee, TeamID: teamID}
	for _, t := range teams {
		d.TeamNames[t.ID] = t.Name
	}
	d.Names, d.Staff = s.staff(r, sess)
	extra := url.Values{}
	if assignee != "" {
		extra.Set("assignee", assignee)
	}
	if teamID != "" {
		extra.Set("team", teamID)
	}
	// The service tells whether more follow, not how many: the pager offers the next page while there is one.
	pages := page
	if list.HasMore {
		pages++
	}
	d.Pager = newPager("/files", extra, page, 1, pages)
	v := &view{Lang: langOf(r), Session: sess, Data: d}
	v.Title = v.T("files.title")
	s.render(w, r, http.StatusOK, "files_list", v)
}
