package file

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	var pe *problem.Error
	if errors.As(err, &pe) {
		for _, f := range pe.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestNumber(t *testing.T) {
	if got := (Number{Year: 2026, Seq: 123}).String(); got != "2026/000123" {
		t.Fatalf("String = %q", got)
	}
	for _, tc := range []struct {
		in   string
		want Number
		ok   bool
	}{
		{"2026/000123", Number{2026, 123}, true},
		{" 2026 / 123 ", Number{2026, 123}, true},
		{"2026/0", Number{}, false},
		{"26/000123", Number{}, false},
		{"2026-000123", Number{}, false},
		{"2026/1234567", Number{}, false},
		{"Dupont", Number{}, false},
	} {
		got, ok := ParseNumber(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseNumber(%q) = %v, %v", tc.in, got, ok)
		}
	}
}

func newTestFile(t *testing.T) File {
	t.Helper()
	f, err := NewFile(Opening{Number: Number{2026, 7}, PersonID: "p1", OpenedBy: "w1", Assignee: "w1", TeamID: "t1",
		On: civil.MustParse("2026-03-02"), At: time.Now(), Origin: OriginManual})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFileLifecycle(t *testing.T) {
	f := newTestFile(t)
	if f.Number != "2026/000007" || f.Status != StatusOpen || f.Applicant() != "p1" || len(f.Registrations) != 1 || !f.Registrations[0].Active() {
		t.Fatalf("opened %+v", f)
	}
	// Registering: a second applicant, an unknown quality, a date before the opening are refused.
	for _, tc := range []struct {
		person  string
		quality Quality
		start   string
		field   string
		code    string
	}{
		{"p2", QualityApplicant, "2026-03-02", "quality", "file.applicant_exists"},
		{"p2", "spouse", "2026-03-02", "quality", "invalid_choice"},
		{"p2", QualityCohabitant, "2026-03-01", "start", "file.before_opening"},
		{"", QualityCohabitant, "2026-03-02", "person_id", "required"},
	} {
		err := f.Register(tc.person, tc.quality, civil.MustParse(tc.start))
		if got := fieldCodes(err)[tc.field]; got != tc.code {
			t.Errorf("Register(%s,%s,%s): %v", tc.person, tc.quality, tc.start, err)
		}
	}
	if err := f.Register("p2", QualityCohabitant, civil.MustParse("2026-03-05")); err != nil {
		t.Fatal(err)
	}
	if err := f.Register("p2", QualityBeneficiary, civil.MustParse("2026-03-06")); !errors.Is(err, ErrAlreadyManaged) {
		t.Fatalf("second running registration: %v", err)
	}
	if err := f.Assign("", ""); fieldCodes(err)["assignee"] != "required" {
		t.Fatalf("empty assignee: %v", err)
	}
	if err := f.Assign("w2", "t2"); err != nil || f.Assignee != "w2" || f.TeamID != "t2" {
		t.Fatalf("assign: %v %+v", err, f)
	}
	// Closing: reason checked, "other" needs a note; it ends every running registration on the closing day.
	if err := f.Close("w2", "bored", "", civil.MustParse("2026-04-01"), time.Now()); fieldCodes(err)["reason"] != "invalid_choice" {
		t.Fatalf("bad reason: %v", err)
	}
	if err := f.Close("w2", CloseOther, "  ", civil.MustParse("2026-04-01"), time.Now()); fieldCodes(err)["note"] != "required" {
		t.Fatalf("other without note: %v", err)
	}
	if err := f.Close("w2", CloseOther, strings.Repeat("x", maxCloseNote+1), civil.MustParse("2026-04-01"), time.Now()); fieldCodes(err)["note"] != "too_long" {
		t.Fatalf("long note: %v", err)
	}
	if f.Status != StatusOpen {
		t.Fatal("a refused close changed the file")
	}
	if err := f.Close("w2", CloseAidEnded, "", civil.MustParse("2026-04-01"), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Registrations {
		if r.End != civil.MustParse("2026-04-01") {
			t.Errorf("registration %+v not ended on the closing day", r)
		}
	}
	if f.Closure == nil || f.Closure.Reason != CloseAidEnded || f.Closure.By != "w2" {
		t.Fatalf("closure %+v", f.Closure)
	}
	for name, err := range map[string]error{
		"close":    f.Close("w2", CloseAidEnded, "", civil.MustParse("2026-04-02"), time.Now()),
		"assign":   f.Assign("w3", ""),
		"register": f.Register("p3", QualityOtherMember, civil.MustParse("2026-04-02")),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed file: %v", name, err)
		}
	}
}

func TestViewerRules(t *testing.T) {
	f := newTestFile(t) // assigned to w1, team t1
	for _, tc := range []struct {
		name           string
		v              Viewer
		see, mayClose  bool
		restrictedNote bool
	}{
		{"assignee", Viewer{UserID: "w1"}, true, true, false},
		{"team member", Viewer{UserID: "w9", Teams: []string{"t0", "t1"}}, true, false, false},
		{"other team", Viewer{UserID: "w9", Teams: []string{"t2"}}, false, false, false},
		{"head", Viewer{UserID: "h", Head: true}, true, true, true},
		{"nobody", Viewer{}, false, false, false},
	} {
		if got := tc.v.CanSee(f); got != tc.see {
			t.Errorf("%s: CanSee = %v", tc.name, got)
		}
		if got := tc.v.CanClose(f); got != tc.mayClose {
			t.Errorf("%s: CanClose = %v", tc.name, got)
		}
		restricted := Note{Author: "author", Confidentiality: Restricted}
		if got := tc.v.CanSeeNote(restricted); got != tc.restrictedNote {
			t.Errorf("%s: restricted note visible = %v", tc.name, got)
		}
		if !tc.v.CanSeeNote(Note{Author: "author", Confidentiality: Normal}) {
			t.Errorf("%s: normal note hidden", tc.name)
		}
	}
	if !(Viewer{UserID: "author"}).CanSeeNote(Note{Author: "author", Confidentiality: Restricted}) {
		t.Error("author cannot read their restricted note")
	}
	// A file without team is not visible to a worker with an empty team id.
	f.TeamID = ""
	if (Viewer{UserID: "w9", Teams: []string{""}}).CanSee(f) {
		t.Error("empty team matched")
	}
}

func TestNewNote(t *testing.T) {
	today := civil.MustParse("2026-03-10")
	for _, tc := range []struct {
		name  string
		in    NoteInput
		field string
		code  string
	}{
		{"empty text", NoteInput{Text: "  "}, "text", "required"},
		{"too long", NoteInput{Text: strings.Repeat("é", maxNoteText+1)}, "text", "too_long"},
		{"bad date", NoteInput{Text: "x", Date: "2026-02-30"}, "date", "invalid_date"},
		{"future", NoteInput{Text: "x", Date: "2026-03-11"}, "date", "file.date_in_future"},
		{"bad level", NoteInput{Text: "x", Confidentiality: "secret"}, "confidentiality", "invalid_choice"},
	} {
		_, err := NewNote("n", "t", "f", "a", tc.in, today, time.Now())
		if got := fieldCodes(err)[tc.field]; got != tc.code {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	n, err := NewNote("n", "t", "f", "a", NoteInput{Text: " Visite à domicile ", Date: "2026-03-09"}, today, time.Now())
	if err != nil || n.Text != "Visite à domicile" || n.Confidentiality != Normal || n.Date != civil.MustParse("2026-03-09") {
		t.Fatalf("%+v %v", n, err)
	}
	n, err = NewNote("n", "t", "f", "a", NoteInput{Text: "x", Confidentiality: "restricted"}, today, time.Now())
	if err != nil || n.Date != today || n.Confidentiality != Restricted {
		t.Fatalf("%+v %v", n, err)
	}
}

func TestNewTeam(t *testing.T) {
	tm, err := NewTeam(TeamInput{Name: "  Équipe   Nord ", Members: []string{"u1", " u2 "}})
	if err != nil || tm.Name != "Équipe Nord" || len(tm.Members) != 2 || tm.Members[1] != "u2" {
		t.Fatalf("%+v %v", tm, err)
	}
	_, err = NewTeam(TeamInput{Name: "", Members: []string{"u1", "u1", ""}})
	codes := fieldCodes(err)
	if codes["name"] != "required" || codes["members[1]"] != "duplicate" || codes["members[2]"] != "invalid" {
		t.Fatalf("codes %v", codes)
	}
}

func TestTaskRequest(t *testing.T) {
	good := TaskRequest{TaskID: "t-1", FileID: "f", Kind: "provide_valid_account", TitleFR: "Obtenir un compte valide", TitleNL: "Geldige rekening bekomen", DueDate: "2026-05-01"}
	due, err := good.Validate()
	if err != nil || due != civil.MustParse("2026-05-01") {
		t.Fatalf("%v %v", due, err)
	}
	for name, mut := range map[string]func(*TaskRequest){
		"no id":        func(r *TaskRequest) { r.TaskID = "" },
		"no target":    func(r *TaskRequest) { r.FileID = "" },
		"bad kind":     func(r *TaskRequest) { r.Kind = "Provide Account" },
		"no title fr":  func(r *TaskRequest) { r.TitleFR = " " },
		"no title nl":  func(r *TaskRequest) { r.TitleNL = "" },
		"bad due date": func(r *TaskRequest) { r.DueDate = "01/05/2026" },
	} {
		r := good
		mut(&r)
		if _, err := r.Validate(); !errors.Is(err, ErrInvalidTask) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for typ, want := range map[string]bool{
		"be.cpas.payments.task.requested.v1":   true,
		"be.cpas.decisions.task.requested.v1":  true,
		"be.cpas.payments.payment.returned.v1": false,
		"be.cpas.task.requested.v1":            false,
		"be.cpas.a.b.task.requested.v1":        false,
		"org.other.payments.task.requested.v1": false,
		"be.cpas.payments.task.requested.v2":   false,
	} {
		if IsTaskRequest(typ) != want {
			t.Errorf("IsTaskRequest(%s) != %v", typ, want)
		}
	}
	task := Task{Status: TaskOpen}
	if err := task.MarkDone("w", time.Now()); err != nil || task.Status != TaskDone || task.DoneBy != "w" {
		t.Fatalf("%+v %v", task, err)
	}
	if err := task.MarkDone("w", time.Now()); !errors.Is(err, ErrTaskDone) {
		t.Fatal("done twice")
	}
}
