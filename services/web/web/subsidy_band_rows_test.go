package web

import (
	"strconv"
	"testing"
)

// A declared history longer than the page's six default lines is shown whole (with empty lines to add more), so
// saving it from the page, which replaces the whole history, never drops a year declared earlier.
func TestSubsidyHistoryFormCarriesEveryDeclaredYear(t *testing.T) {
	h := SubsidyHistory{LastRate: 65}
	for y := 2010; y < 2019; y++ {
		h.Years = append(h.Years, SubsidyDeclaredYear{Year: y, MonthlyAverage: 480.5})
	}
	f := newForm(subsidyHistoryFields, historyValues(h))
	if n := shownHistoryRows(f); n != len(h.Years)+subsidyHistoryEmptyRows {
		t.Fatalf("%d lines shown for %d declared years", n, len(h.Years))
	}
	for i, y := range h.Years {
		if got := f.values.Get("years_" + strconv.Itoa(i) + "_year"); got != strconv.Itoa(y.Year) {
			t.Errorf("line %d: year %q, want %d", i, got, y.Year)
		}
	}
	if n := shownHistoryRows(newForm(subsidyHistoryFields, nil)); n != 6 {
		t.Errorf("an empty history shows %d lines, want 6", n)
	}
}
