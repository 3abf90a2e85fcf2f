package web

import (
	"net/http"
	"slices"
	"strconv"
)

// The deadline board (decisions service): every open legal clock — a request's decision, a decision's
// notification, MediPrima encoding, PIIS, yearly review, an urgent decision awaiting ratification — with its due
// date, where it stands today (upcoming, due today, late: said in words, not by colour only) and why, soonest
// first, with the totals of late clocks and of those due this week. A social worker sees their own files (and
// their teams'); the head sees every file and may narrow the board to one worker, chosen in the staff directory
// (an id in the query, never a name), to one clock, or to the late ones only.

// boardClocks are the clocks the filter offers, in the service's codes.
var boardClocks = []string{"decision", "notification", "mediprima", "piis_conclusion", "piis_evaluation", "review", "appeal", "ratification"}

// boardPageSize is how many clocks a page shows.
const boardPageSize = 50

// deadlinesData is the page data of deadlines.html.
type deadlinesData struct {
	Board Board
	Names staffNames
	// Head tells whether the worker filter is offered; Staff are the workers to choose, Worker the chosen one.
	Head   bool
	Staff  []StaffMember
	Worker string
	Clocks []string
	Clock  string
	Late   bool
	// Filtered tells whether any filter is set (the page offers to clear them).
	Filtered bool
	Pager    pager
}

func (s *Server) deadlinesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	qv := r.URL.Query()
	d := deadlinesData{Head: slices.Contains(sess.Roles(), "social_service_head"), Clocks: boardClocks}
	if d.Head {
		if wk := qv.Get("worker"); uuidLike(wk) {
			d.Worker = wk
		}
		d.Names, d.Staff = s.staff(r, sess)
	} else {
		d.Names, _ = s.staffDirectory(r, sess)
	}
	if c := qv.Get("clock"); slices.Contains(boardClocks, c) {
		d.Clock = c
	}
	d.Late = qv.Get("late") == "true"
	d.Filtered = d.Worker != "" || d.Clock != "" || d.Late
	page := 1
	if n, err := strconv.Atoi(qv.Get("page")); err == nil && n > 1 && n <= 1000 {
		page = n
	}
	q := BoardQuery{Worker: d.Worker, Clock: d.Clock, LateOnly: d.Late, Page: page, PageSize: boardPageSize}
	b, err := s.decisions.Board(r.Context(), s.call(r, sess), Purposes[0], q)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d.Board = b
	total := b.Totals.Open
	if d.Late {
		total = b.Totals.Late
	}
	shown := (page-1)*boardPageSize + len(b.Items)
	if b.More {
		shown++
	}
	d.Pager = newPager("/deadlines", BoardQuery{Worker: d.Worker, Clock: d.Clock, LateOnly: d.Late}.Values(), page, boardPageSize, max(total, shown))
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
