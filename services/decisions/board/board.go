// Package board is the deadline board (domain.md §4): every open request's decision deadline with where it
// stands today (upcoming, due today, late, in days) and why, in French and Dutch, sorted by due date. A social
// worker sees the requests of the files assigned to them; the head sees all and may filter by worker. The
// notification and appeal clocks join it with the decisions.
package board

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/request"
)

// RouteBoard is the board's route.
const RouteBoard = "GET /v1/board"

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteBoard} }

// Item is one line of the board.
type Item struct {
	RequestID  string               `json:"request_id"`
	Number     string               `json:"number"`
	FileID     string               `json:"file_id"`
	FileNumber string               `json:"file_number"`
	PersonID   string               `json:"person_id"`
	Assignee   string               `json:"assignee"`
	Kind       legalclock.Kind      `json:"kind"`
	Status     request.Status       `json:"status"`
	ReceivedOn civil.Date           `json:"received_on"`
	Clock      string               `json:"clock"`
	Deadline   legalclock.Deadline  `json:"deadline"`
	Due        legalclock.DueStatus `json:"due"`
	// StatusFR and StatusNL say where the deadline stands today ("en retard de 3 jours").
	StatusFR string `json:"status_fr"`
	StatusNL string `json:"status_nl"`
}

// Board is a page of the board.
type Board struct {
	Today    civil.Date `json:"today"`
	Items    []Item     `json:"items"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
}

// Service builds the board.
type Service struct {
	Requests *request.Service
	Now      func() time.Time
}

// Query narrows the board.
type Query struct {
	// Worker, for the head: only the files that worker sees (assigned to them or to one of their teams).
	Worker   string
	Page     int
	PageSize int
	Purpose  string
}

// Build reads the board for a.
func (s *Service) Build(ctx context.Context, a kit.Actor, q Query) (Board, error) {
	if err := kit.CheckPurpose(q.Purpose); err != nil {
		return Board{}, err
	}
	today := civil.Today()
	if s.Now != nil {
		today = civil.Of(s.Now())
	}
	var ids []string
	var err error
	switch {
	case !a.IsHead():
		ids, err = s.Requests.VisibleFiles(ctx, a)
		if err == nil && q.Worker != "" && q.Worker != a.UserID {
			ids = []string{}
		}
	case q.Worker != "":
		ids, err = s.Requests.Proj.WorkerFileIDs(ctx, a.Tenant, q.Worker)
		if ids == nil {
			ids = []string{}
		}
	}
	if err != nil {
		return Board{}, err
	}
	recs, err := s.Requests.Repo.Find(ctx, a.Tenant, request.Query{FileIDs: ids, OpenOnly: true, ByDue: true,
		Skip: int64((q.Page - 1) * q.PageSize), Limit: int64(q.PageSize)})
	if err != nil {
		return Board{}, err
	}
	fileIDs := make([]string, 0, len(recs))
	for _, r := range recs {
		fileIDs = append(fileIDs, r.State.FileID)
	}
	files, err := s.Requests.Proj.Files(ctx, a.Tenant, fileIDs)
	if err != nil {
		return Board{}, err
	}
	out := Board{Today: today, Items: []Item{}, Page: q.Page, PageSize: q.PageSize}
	for _, r := range recs {
		dl, err := r.State.Deadline()
		if err != nil {
			return Board{}, err
		}
		st := dl.Status(today)
		f := files[r.State.FileID]
		out.Items = append(out.Items, Item{RequestID: r.ID, Number: r.State.Number, FileID: r.State.FileID, FileNumber: f.Number,
			PersonID: r.State.PersonID, Assignee: f.Assignee, Kind: r.State.Kind, Status: r.State.Status,
			ReceivedOn: r.State.ReceivedOn, Clock: "decision", Deadline: dl, Due: st, StatusFR: st.Text("fr"), StatusNL: st.Text("nl")})
	}
	s.Requests.Audit.Record(ctx, a, kit.Entry{Action: "board.read", ResourceType: "board", Purpose: q.Purpose})
	return out, nil
}

// KitRoutes are the package's routes.
func (s *Service) KitRoutes() []kit.Route {
	return []kit.Route{{Pattern: RouteBoard, Endpoint: func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.Build(ctx, a, req.(Query))
	}, Decode: func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var fs problem.Fields
		q := Query{Worker: v.Get("worker"), Page: 1, PageSize: 100, Purpose: r.Header.Get(kit.PurposeHeader)}
		if q.Worker != "" && !kit.IsUUID(q.Worker) {
			fs.Add("worker", "invalid")
		}
		for name, dst := range map[string]*int{"page": &q.Page, "page_size": &q.PageSize} {
			if s := v.Get(name); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || (name == "page_size" && n > 500) {
					fs.Add(name, "invalid")
				}
				*dst = n
			}
		}
		return q, fs.Err()
	}}}
}
