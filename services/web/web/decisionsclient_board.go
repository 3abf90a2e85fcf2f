package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The deadline board of the decisions service (GET /v1/board): every open legal clock by due date.

// BoardItem is one line of the deadline board: one open clock.
type BoardItem struct {
	// Clock is which legal clock: decision, notification, appeal, piis_conclusion, piis_evaluation, review,
	// mediprima, ratification.
	Clock string `json:"clock"`
	// RefType (request, decision, urgent_decision) and RefID name the resource the clock belongs to.
	RefType    string    `json:"ref_type"`
	RefID      string    `json:"ref_id"`
	RequestID  string    `json:"request_id"`
	Number     string    `json:"number"`
	FileID     string    `json:"file_id"`
	FileNumber string    `json:"file_number"`
	PersonID   string    `json:"person_id"`
	Assignee   string    `json:"assignee"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	ReceivedOn string    `json:"received_on"`
	Deadline   Deadline  `json:"deadline"`
	Due        DueStatus `json:"due"`
	// Change names a decision's change the clock is about ("revision:<id>"…), when it is one.
	Change string `json:"change"`
}

// Link is the page of the resource the clock belongs to ("" when there is none to open).
func (it BoardItem) Link() string {
	if it.PersonID == "" {
		return ""
	}
	switch it.RefType {
	case "request":
		return "/persons/" + url.PathEscape(it.PersonID) + "/requests/" + url.PathEscape(it.RefID)
	case "decision":
		if _, id, ok := strings.Cut(it.Change, ":"); ok && changeIDRe.MatchString(id) {
			// the change on the decision page, with its letter and notification form
			return decisionPagePath(it.PersonID, it.RefID) + "#change-" + id
		}
		return decisionPagePath(it.PersonID, it.RefID)
	case "urgent_decision":
		return "/urgent-decisions"
	}
	return ""
}

// BoardTotals count the board's clocks on its worker and clock filters.
type BoardTotals struct {
	Open        int `json:"open"`
	Late        int `json:"late"`
	DueThisWeek int `json:"due_this_week"`
}

// Board is a page of the deadline board.
type Board struct {
	Today    string      `json:"today"`
	Items    []BoardItem `json:"items"`
	Totals   BoardTotals `json:"totals"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	More     bool        `json:"more"`
}

// BoardQuery narrows the board: Worker (for the head), Clock, LateOnly; Page from 1.
type BoardQuery struct {
	Worker   string
	Clock    string
	LateOnly bool
	Page     int
	PageSize int
}

// Values are the query's parameters (ids and codes only: no personal data in a URL).
func (q BoardQuery) Values() url.Values {
	v := url.Values{}
	if q.Worker != "" {
		v.Set("worker", q.Worker)
	}
	if q.Clock != "" {
		v.Set("clock", q.Clock)
	}
	if q.LateOnly {
		v.Set("late", "true")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PageSize > 0 {
		v.Set("page_size", strconv.Itoa(q.PageSize))
	}
	return v
}

// Board reads a page of the deadline board.
func (c *DecisionsClient) Board(ctx context.Context, cl call, purpose string, q BoardQuery) (Board, error) {
	var out Board
	p := "/v1/board"
	if v := q.Values(); len(v) > 0 {
		p += "?" + v.Encode()
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, p, nil, &out)
	return out, err
}
