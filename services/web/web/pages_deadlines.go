package web

import (
	"net/http"
	"slices"
)

// The deadline board (decisions service): every open request's decision deadline, where it stands today
// (upcoming, due today, late, in days) and why, soonest first. A social worker sees their own files; the head
// sees every file and may narrow the board to one worker, chosen in the staff directory (an id in the query,
// never a name).

// deadlinesData is the page data of deadlines.html.
type deadlinesData struct {
	Board Board
	Names staffNames
	// Head tells whether the worker filter is offered; Staff are the workers to choose, Worker the chosen one.
	Head   bool
	Staff  []StaffMember
	Worker string
}

func (s *Server) deadlinesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	d := deadlinesData{Head: slices.Contains(sess.Roles(), "social_service_head")}
	if d.Head {
		if wk := r.URL.Query().Get("worker"); uuidLike(wk) {
			d.Worker = wk
		}
		d.Names, d.Staff = s.staff(r, sess)
	} else {
		d.Names, _ = s.staffDirectory(r, sess)
	}
	b, err := s.decisions.Board(r.Context(), s.call(r, sess), Purposes[0], d.Worker)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d.Board = b
	v := &view{Lang: langOf(r), Session: sess, Data: d}
	v.Title = v.T("deadlines.title")
	s.render(w, r, http.StatusOK, "deadlines", v)
}

// DueText says where a deadline stands today, in the page's language: "en retard de 3 jours".
func (v *view) DueText(st DueStatus) string {
	switch st.State {
	case "upcoming":
		if st.DaysRemaining == 1 {
			return v.T("deadlines.state.upcoming.one")
		}
		return v.T("deadlines.state.upcoming", "days", st.DaysRemaining)
	case "due_today":
		return v.T("deadlines.state.due_today")
	case "late":
		if st.DaysLate == 1 {
			return v.T("deadlines.state.late.one")
		}
		return v.T("deadlines.state.late", "days", st.DaysLate)
	}
	return v.T("deadlines.state.not_running")
}
