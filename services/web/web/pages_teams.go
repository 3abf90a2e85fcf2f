package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Teams of social workers (the head of service): a file assigned to a team is seen by all its members. Members
// are identity user ids; the form offers the active social workers and heads of the staff directory (staff.go).

// teamData is the page data of the team pages.
type teamData struct {
	Teams []Team
	Team  Team
	Staff []StaffMember
	Names staffNames
	// Others are members who can no longer be chosen (disabled, or no longer in the social service): shown by
	// name and kept checked, so that saving the team does not drop them unnoticed.
	Others []string
	New    bool
}

var teamFields = []formField{{Name: "name", Label: "team.name"}, {Name: "members", Label: "team.members"}}

func (s *Server) teamsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	teams, err := s.registry.Teams(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	names, _ := s.staff(r, sess)
	v := &view{Lang: langOf(r), Session: sess, Data: teamData{Teams: teams, Names: names}}
	v.Title = v.T("teams.title")
	s.render(w, r, http.StatusOK, "teams_list", v)
}

func (s *Server) newTeamPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderTeam(w, r, sess, http.StatusOK, Team{}, newForm(teamFields, nil), true)
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	t, err := s.registry.GetTeam(r.Context(), s.call(r, sess), r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	s.renderTeam(w, r, sess, http.StatusOK, t, newForm(teamFields, url.Values{"name": {t.Name}, "members": t.Members}), false)
}

func (s *Server) renderTeam(w http.ResponseWriter, r *http.Request, sess *Session, status int, t Team, f *form, isNew bool) {
	names, staff := s.staff(r, sess)
	d := teamData{Team: t, Staff: staff, Names: names, New: isNew}
	known := map[string]bool{}
	for _, m := range staff {
		known[m.ID] = true
	}
	for _, id := range f.values["members"] {
		if !known[id] {
			d.Others = append(d.Others, id)
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	if isNew {
		v.Title = v.T("team.new.title")
	} else {
		v.Title = v.T("team.title", "name", t.Name)
	}
	s.render(w, r, status, "team", v)
}

// teamInput reads the team form: the name and the members checked.
func teamInput(r *http.Request) url.Values {
	members := r.PostForm["members"]
	seen := map[string]bool{}
	var out []string
	for _, m := range members {
		if m = strings.TrimSpace(m); m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return url.Values{"name": {strings.TrimSpace(r.PostFormValue("name"))}, "members": out}
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := teamInput(r)
	t, err := s.registry.CreateTeam(r.Context(), s.call(r, sess), values.Get("name"), values["members"])
	s.afterTeamSave(w, r, sess, err, t, Team{}, values, true)
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	values := teamInput(r)
	id := r.PathValue("id")
	t, err := s.registry.UpdateTeam(r.Context(), s.call(r, sess), id, version, values.Get("name"), values["members"])
	s.afterTeamSave(w, r, sess, err, t, Team{ID: id, Version: version}, values, false)
}

func (s *Server) afterTeamSave(w http.ResponseWriter, r *http.Request, sess *Session, err error, saved, shown Team, values url.Values, isNew bool) {
	var ae *APIError
	f := newForm(teamFields, values)
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.team_saved")
		http.Redirect(w, r, "/teams/"+url.PathEscape(saved.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderTeam(w, r, sess, http.StatusUnprocessableEntity, shown, f, isNew)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed) && !isNew:
		current, gerr := s.registry.GetTeam(r.Context(), s.call(r, sess), shown.ID)
		if gerr != nil {
			s.apiFailed(w, r, sess, gerr)
			return
		}
		f = newForm(teamFields, url.Values{"name": {current.Name}, "members": current.Members})
		f.General = append(f.General, translate(langOf(r), "team.conflict"))
		s.renderTeam(w, r, sess, http.StatusConflict, current, f, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
