package document

// Retention of documents (domain.md §8): no single national period, so each document type keeps its documents
// for a period the CPAS sets (BENEFICIARIES_DOCUMENT_RETENTION, decided with its DPO), counted from the closure
// of the document's file, or from the document's removal when that comes first. A file under legal hold (an
// appeal, a recovery of unduly paid aid) keeps all its documents whatever their periods. Deleting what is due
// is a batch the head reviews: the due list, then a purge of the documents they chose, with a reason.
//
// This file is the domain of retention, without I/O.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// Period is a retention period in whole years and days ("10y", "90d", "1y30d"; no months, which are ambiguous
// at a month's end).
type Period struct {
	Years, Days int
}

// After is the day the period ends when it starts on d.
func (p Period) After(d civil.Date) civil.Date { return d.AddYears(p.Years).AddDays(p.Days) }

func (p Period) String() string {
	switch {
	case p.Years > 0 && p.Days > 0:
		return strconv.Itoa(p.Years) + "y" + strconv.Itoa(p.Days) + "d"
	case p.Days > 0:
		return strconv.Itoa(p.Days) + "d"
	}
	return strconv.Itoa(p.Years) + "y"
}

// ParsePeriod reads "10y", "90d" or "1y30d".
func ParsePeriod(s string) (Period, error) {
	var p Period
	rest := strings.TrimSpace(s)
	if rest == "" {
		return p, fmt.Errorf("empty period")
	}
	for rest != "" {
		i := strings.IndexAny(rest, "yd")
		if i < 1 {
			return Period{}, fmt.Errorf("period %q: want years and days like 10y, 90d or 1y30d", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 || n > 100*366 {
			return Period{}, fmt.Errorf("period %q: bad number", s)
		}
		switch {
		case rest[i] == 'y' && p.Years == 0 && p.Days == 0:
			p.Years = n
		case rest[i] == 'd' && p.Days == 0:
			p.Days = n
		default:
			return Period{}, fmt.Errorf("period %q: years first, each once", s)
		}
		rest = rest[i+1:]
	}
	if p == (Period{}) {
		return Period{}, fmt.Errorf("period %q: a document must be kept at least one day", s)
	}
	return p, nil
}

// DefaultPeriod keeps every type ten years, the longest usual limitation period (personal actions, art.
// 2262bis Code civil), so that nothing is deleted too early while the CPAS has not set its own periods.
var DefaultPeriod = Period{Years: 10}

// Retention is the period of each document type.
type Retention map[Type]Period

// DefaultRetention is DefaultPeriod for every type.
func DefaultRetention() Retention {
	r := Retention{}
	for _, t := range Types {
		r[t] = DefaultPeriod
	}
	return r
}

// ParseRetention reads "type=period,…" (e.g. "identity=10y,medical_certificate=5y,other=2y"): the types
// named get their period, the others DefaultPeriod. An unknown type, a type named twice or a bad period is an
// error. An empty text is DefaultRetention.
func ParseRetention(s string) (Retention, error) {
	r := DefaultRetention()
	seen := map[Type]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, period, ok := strings.Cut(item, "=")
		t := Type(strings.TrimSpace(name))
		if !ok || !slices.Contains(Types, t) {
			return nil, fmt.Errorf("retention %q: want type=period with a type among %v", item, Types)
		}
		if seen[t] {
			return nil, fmt.Errorf("retention: %s named twice", t)
		}
		seen[t] = true
		p, err := ParsePeriod(period)
		if err != nil {
			return nil, fmt.Errorf("retention of %s: %w", t, err)
		}
		r[t] = p
	}
	return r, nil
}

// String is the retention in the form ParseRetention reads, types in their order.
func (r Retention) String() string {
	parts := make([]string, 0, len(Types))
	for _, t := range Types {
		parts = append(parts, string(t)+"="+r.period(t).String())
	}
	return strings.Join(parts, ",")
}

func (r Retention) period(t Type) Period {
	if p, ok := r[t]; ok {
		return p
	}
	return DefaultPeriod
}

// What a retention period starts from.
const (
	FromClosure = "closure"
	FromRemoval = "removal"
)

// Schedule is when a document's retention started and ends.
type Schedule struct {
	// From is FromClosure or FromRemoval; Start the day it started; Due the first day the document may be
	// deleted.
	From       string
	Start, Due civil.Date
	// Held: the file is under legal hold, nothing of it may be deleted.
	Held bool
}

// ScheduleOf is the retention schedule of document d of file f, and false while it has not started (an open
// file's document in use).
func (r Retention) ScheduleOf(d Document, f file.File) (Schedule, bool) {
	var s Schedule
	if f.Closure != nil {
		s.From, s.Start = FromClosure, f.Closure.On
	}
	if d.Removal != nil {
		if on := civil.Of(d.Removal.At); s.Start.IsZero() || on.Before(s.Start) {
			s.From, s.Start = FromRemoval, on
		}
	}
	if s.Start.IsZero() {
		return Schedule{}, false
	}
	s.Due = r.period(d.Type).After(s.Start)
	s.Held = f.LegalHold != nil
	return s, true
}

// DueOn tells whether the schedule's document may be deleted on day today: its period started and is over,
// and its file is not under legal hold.
func (s Schedule) DueOn(today civil.Date) bool {
	return !s.Start.IsZero() && !s.Held && !s.Due.After(today)
}
