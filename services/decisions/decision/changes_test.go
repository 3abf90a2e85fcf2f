package decision

import (
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
)

// TestChangeClocks: each change not notified is a notification due 8 days from its date; a notified change's
// appeal window is on the board until the housekeeping closes it once past; the index follows the earliest.
func TestChangeClocks(t *testing.T) {
	d := running()
	d.Revisions = []Revision{{ID: "r1", From: civil.MustParse("2026-05-01"), MonthlyCents: 50000, DecidedOn: civil.MustParse("2026-04-20")}}
	d.Ending = &Ending{Kind: "termination", Date: civil.MustParse("2026-06-30"), DecidedOn: civil.MustParse("2026-06-02")}
	changes := d.Changes()
	if len(changes) != 2 || changes[0].Change != letter.ChangeRevision || changes[1].Change != letter.ChangeTermination || changes[1].ID != legacyEndingID {
		t.Fatalf("changes %+v", changes)
	}
	dues := d.changeDues()
	if len(dues) != 2 || dues[0].Clock != "notification" || dues[0].Change != "revision:r1" ||
		dues[0].Deadline.Due != civil.MustParse("2026-04-28") || dues[1].Change != "termination:ending" {
		t.Fatalf("dues %+v", dues)
	}
	appeal, _ := legalclock.AppealWindowEnd(civil.MustParse("2026-04-22"))
	d.ChangeNotices = []ChangeNotice{{Change: letter.ChangeRevision, ChangeID: "r1", AppealOpen: true,
		Notification: Notification{Method: Handed, Date: civil.MustParse("2026-04-22"), AppealDue: appeal.Due}}}
	refresh(&d, legalclock.DefaultRules())
	if !d.ChangeAppealOpen || d.ChangeAppealDue != appeal.Due {
		t.Fatalf("index %v %v", d.ChangeAppealOpen, d.ChangeAppealDue)
	}
	dues = d.changeDues()
	if len(dues) != 2 || dues[0].Clock != "appeal" || dues[0].Change != "revision:r1" || dues[1].Clock != "notification" {
		t.Fatalf("dues after the revision's notification %+v", dues)
	}
	if closeChangeAppeals(&d, appeal.Due) {
		t.Error("closed on its last day")
	}
	if !closeChangeAppeals(&d, appeal.Due.AddDays(1)) || d.ChangeAppealOpen || len(d.changeDues()) != 1 {
		t.Errorf("not closed after its last day: %+v", d.changeDues())
	}
}
