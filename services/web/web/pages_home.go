package web

import "net/http"

// homeData is what the home page shows besides the header: the pages the user may open.
type homeData struct {
	Entries []navEntry
}

// home greets the user and lists the pages their roles open.
func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *Session) {
	v := &view{Lang: langOf(r), Session: sess}
	v.Title = v.T("home.title")
	var entries []navEntry
	for _, e := range s.authorize.navFor(sess) {
		if e.Route != "/" {
			entries = append(entries, e)
		}
	}
	v.Data = homeData{Entries: entries}
	s.render(w, r, http.StatusOK, "home", v)
}
