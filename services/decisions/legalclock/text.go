package legalclock

import (
	"fmt"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
)

var (
	weekdaysFR = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	weekdaysNL = [...]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
)

// FormatDate writes d as in a letter: "1er mars 2025", "20 avril 2025" in French (lang "fr"), "1 maart 2025" in
// Dutch ("nl").
func FormatDate(d civil.Date, lang string) string { return formatDate(d, lang) }

func formatDate(d civil.Date, lang string) string {
	if lang != "nl" {
		lang = "fr"
	}
	return d.Long(lang)
}

// WeekdayName returns the name of the day of the week in French ("fr") or Dutch ("nl").
func WeekdayName(w time.Weekday, lang string) string {
	if lang == "nl" {
		return weekdaysNL[w]
	}
	return weekdaysFR[w]
}

// shiftText is "; reporté au mardi car le 20 avril 2025 est un dimanche et le 21 avril 2025 est un jour férié
// (lundi de Pâques)", or "" when the deadline was not moved.
func shiftText(d Deadline, lang string) string {
	if len(d.Skipped) == 0 {
		return ""
	}
	parts := make([]string, len(d.Skipped))
	for i, c := range d.Skipped {
		date := formatDate(c.Date, lang)
		switch {
		case lang == "nl" && c.Why == "holiday":
			parts[i] = date + " een feestdag is (" + c.Holiday.Name("nl") + ")"
		case lang == "nl":
			parts[i] = date + " een " + WeekdayName(c.Date.Weekday(), "nl") + " is"
		case c.Why == "holiday":
			parts[i] = "le " + date + " est un jour férié (" + c.Holiday.Name("fr") + ")"
		default:
			parts[i] = "le " + date + " est un " + WeekdayName(c.Date.Weekday(), "fr")
		}
	}
	if lang == "nl" {
		return "; verschoven naar " + WeekdayName(d.Due.Weekday(), "nl") + " omdat " + joinAnd(parts, "en")
	}
	return "; reporté au " + WeekdayName(d.Due.Weekday(), "fr") + " car " + joinAnd(parts, "et")
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(parts []string, and string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + and + " " + parts[len(parts)-1]
}

// State is where a deadline stands on a given day.
type State string

// The states of a deadline.
const (
	Upcoming   State = "upcoming"
	DueToday   State = "due_today"
	Late       State = "late"
	NotRunning State = "not_running" // the period does not run (no due date)
)

// DueStatus is where a deadline stands on a day, for the deadline board.
type DueStatus struct {
	State State `json:"state"`
	// DaysRemaining counts the calendar days from today to the due date (Upcoming), else 0.
	DaysRemaining int `json:"days_remaining"`
	// DaysLate counts the calendar days since the due date (Late), else 0.
	DaysLate int `json:"days_late"`
}

// Status says whether due is upcoming, due today or late on today. A zero due (a period that does not run) is
// NotRunning.
func Status(due, today civil.Date) DueStatus {
	if due.IsZero() {
		return DueStatus{State: NotRunning}
	}
	switch n := today.DaysUntil(due); {
	case n > 0:
		return DueStatus{State: Upcoming, DaysRemaining: n}
	case n == 0:
		return DueStatus{State: DueToday}
	default:
		return DueStatus{State: Late, DaysLate: -n}
	}
}

// Text says the status in French ("fr") or Dutch ("nl"): "dans 3 jours", "aujourd'hui", "en retard de 2 jours".
func (s DueStatus) Text(lang string) string {
	nl := lang == "nl"
	switch s.State {
	case Upcoming:
		if nl {
			return "over " + days(s.DaysRemaining, true)
		}
		return "dans " + days(s.DaysRemaining, false)
	case DueToday:
		if nl {
			return "vandaag"
		}
		return "aujourd'hui"
	case Late:
		if nl {
			return days(s.DaysLate, true) + " te laat"
		}
		return "en retard de " + days(s.DaysLate, false)
	}
	if nl {
		return "termijn loopt niet"
	}
	return "le délai ne court pas"
}

func days(n int, nl bool) string {
	switch {
	case nl && n == 1:
		return "1 dag"
	case nl:
		return fmt.Sprintf("%d dagen", n)
	case n == 1:
		return "1 jour"
	}
	return fmt.Sprintf("%d jours", n)
}
