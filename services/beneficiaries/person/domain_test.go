package person

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/problem"
)

var today = civil.MustParse("2026-03-15")

func goodIdentity() Identity {
	return Identity{NISS: "85.07.14-123.30", FamilyName: "Dupont-Lefèvre", GivenNames: "Jean", BirthDate: "1985-07-14", Sex: "male",
		Nationality: "be", ResidenceStatus: ResidenceBelgian, Language: "fr", Phone: "+32 2 123 45 67", Email: "jean@example.org",
		Address: &AddressInput{Street: "Rue  Haute", Number: "12", Box: "3", Postcode: "1000", Municipality: "Bruxelles"}}
}

// fieldCodes returns field → code of a validation problem.
func fieldCodes(t *testing.T, err error) map[string]string {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Type != problem.Validation {
		t.Fatalf("want a validation problem, got %v", err)
	}
	out := map[string]string{}
	for _, f := range pe.Fields {
		out[f.Field] = f.Code
	}
	return out
}

func TestApplyIdentityAcceptsAndNormalises(t *testing.T) {
	var p Person
	if err := p.applyIdentity(goodIdentity(), today); err != nil {
		t.Fatal(err)
	}
	if p.NISS.String() != "85071412330" || p.Nationality != "BE" || p.Address.Street != "Rue Haute" || p.Address.Postcode != 1000 {
		t.Errorf("person = %+v", p)
	}
	if !oneOf("dupont lefevre jean", p.SearchKeys) || !oneOf("lefevre jean", p.SearchKeys) || !oneOf("jean dupont lefevre", p.SearchKeys) {
		t.Errorf("search keys = %v", p.SearchKeys)
	}
	// Birth date and sex may come from the NISS alone.
	in := goodIdentity()
	in.NISS, in.BirthDate, in.Sex = "03022824093", "", ""
	in.Address = nil
	if err := p.applyIdentity(in, today); err != nil {
		t.Fatal(err)
	}
	if p.BirthDate.String() != "2003-02-28" || p.Sex != SexFemale || p.Address != nil {
		t.Errorf("derived %s %s %v", p.BirthDate, p.Sex, p.Address)
	}
}

func TestApplyIdentityRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mut   func(*Identity)
		field string
		code  string
	}{
		{"bad NISS", func(in *Identity) { in.NISS = "85071412331" }, "niss", "invalid_niss"},
		{"NISS vs birth date", func(in *Identity) { in.BirthDate = "1985-07-15" }, "birth_date", "person.niss_birth_date_mismatch"},
		{"NISS vs sex", func(in *Identity) { in.Sex = "female" }, "sex", "person.niss_sex_mismatch"},
		{"BIS with unknown sex accepts any sex", nil, "", ""},
		{"no family name", func(in *Identity) { in.FamilyName = "  " }, "family_name", "required"},
		{"long family name", func(in *Identity) { in.FamilyName = strings.Repeat("a", 101) }, "family_name", "too_long"},
		{"bad date", func(in *Identity) { in.NISS = ""; in.BirthDate = "1985-02-30" }, "birth_date", "invalid_date"},
		{"future date", func(in *Identity) { in.NISS = ""; in.BirthDate = "2026-03-16" }, "birth_date", "person.birth_date_future"},
		{"no date without NISS", func(in *Identity) { in.NISS = ""; in.BirthDate = "" }, "birth_date", "required"},
		{"bad sex", func(in *Identity) { in.Sex = "m" }, "sex", "invalid_choice"},
		{"bad country", func(in *Identity) { in.Nationality = "BEL" }, "nationality", "person.invalid_country"},
		{"belgian not BE", func(in *Identity) { in.Nationality = "FR" }, "residence_status", "person.status_nationality_mismatch"},
		{"eu not EU", func(in *Identity) { in.Nationality = "MA"; in.ResidenceStatus = ResidenceEU }, "residence_status", "person.status_nationality_mismatch"},
		{"bad status", func(in *Identity) { in.ResidenceStatus = "tourist" }, "residence_status", "invalid_choice"},
		{"postcode low", func(in *Identity) { in.Address.Postcode = "999" }, "address.postcode", "person.invalid_postcode"},
		{"postcode high", func(in *Identity) { in.Address.Postcode = "10000" }, "address.postcode", "person.invalid_postcode"},
		{"postcode text", func(in *Identity) { in.Address.Postcode = "B-1000" }, "address.postcode", "person.invalid_postcode"},
		{"no municipality", func(in *Identity) { in.Address.Municipality = "" }, "address.municipality", "required"},
		{"no street", func(in *Identity) { in.Address.Street = "" }, "address.street", "required"},
		{"bad email", func(in *Identity) { in.Email = "jean@" }, "email", "invalid_email"},
		{"bad phone", func(in *Identity) { in.Phone = "call me" }, "phone", "person.invalid_phone"},
		{"bad language", func(in *Identity) { in.Language = "es" }, "language", "invalid_choice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := goodIdentity()
			if tc.mut == nil { // BIS number with sex unknown (month + 20): a declared sex is kept
				in.NISS, in.BirthDate, in.Sex, in.Nationality, in.ResidenceStatus = "90250100293", "1990-05-01", "female", "MA", ResidenceIrregularStay
				var p Person
				if err := p.applyIdentity(in, today); err != nil || p.Sex != SexFemale {
					t.Fatalf("BIS: %v %s", err, p.Sex)
				}
				return
			}
			tc.mut(&in)
			var p Person
			if got := fieldCodes(t, p.applyIdentity(in, today)); got[tc.field] != tc.code {
				t.Errorf("fields = %v, want %s: %s", got, tc.field, tc.code)
			}
			if p.FamilyName != "" {
				t.Error("a refused identity changed the person")
			}
		})
	}
}

func TestMessagesExistInFourLanguages(t *testing.T) {
	for _, code := range []string{"person.niss_birth_date_mismatch", "person.niss_sex_mismatch", "person.invalid_postcode",
		"person.duplicate_reason_required", "person.purpose_invalid", "person.invalid_country", "invalid_niss", "invalid_iban"} {
		for _, l := range []string{"fr", "nl", "de", "en"} {
			if problem.Message(l, code, nil) == code {
				t.Errorf("%s has no %s text", code, l)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Müller":           "muller",
		"Dupont-Lefèvre":   "dupont lefevre",
		"  D'Hondt ":       "d hondt",
		"ÇAĞLAR":           "caglar",
		"Straße":           "strasse",
		"Œuvrard  Ødegård": "oeuvrard odegard",
		"Van den Bossche":  "van den bossche",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBankAccounts(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	var p Person
	if _, _, err := p.AddBankAccount("a1", "BE68 5390 0754 7035", "Jean", "u1", true, now); fieldCodes(t, err)["iban"] != "invalid_iban" {
		t.Fatalf("bad IBAN: %v", err)
	}
	if _, _, err := p.AddBankAccount("a1", "BE68539007547034", "", "u1", true, now); fieldCodes(t, err)["holder"] != "required" {
		t.Fatalf("no holder: %v", err)
	}
	// The first account becomes active even without asking.
	_, ch, err := p.AddBankAccount("a1", "be68 5390 0754 7034", "Jean Dupont", "u1", false, now)
	if err != nil || ch == nil || !ch.Old.IsZero() || ch.New.String() != "BE68539007547034" {
		t.Fatalf("first account: %+v %v", ch, err)
	}
	// A second one without activate stays in reserve.
	if _, ch, err := p.AddBankAccount("a2", "NL91ABNA0417164300", "Jean Dupont", "u1", false, now); err != nil || ch != nil {
		t.Fatalf("second: %+v %v", ch, err)
	}
	ch, err = p.ActivateBankAccount("a2", now.Add(time.Hour))
	if err != nil || ch.Old.String() != "BE68539007547034" || ch.New.String() != "NL91ABNA0417164300" {
		t.Fatalf("activate: %+v %v", ch, err)
	}
	active := 0
	for _, a := range p.BankAccounts {
		if a.Active {
			active++
		}
	}
	if acc, _ := p.ActiveAccount(); active != 1 || acc.ID != "a2" || p.BankAccounts[0].DeactivatedAt.IsZero() {
		t.Errorf("accounts = %+v", p.BankAccounts)
	}
	if ch, err := p.ActivateBankAccount("a2", now); ch != nil || err != nil {
		t.Errorf("re-activating the active account changed something: %v %v", ch, err)
	}
	if _, err := p.ActivateBankAccount("nope", now); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	// Giving a known IBAN again does not duplicate it; with activate it becomes active again.
	_, ch, err = p.AddBankAccount("a3", "BE68539007547034", "Jean Dupont", "u1", true, now)
	if err != nil || len(p.BankAccounts) != 2 || ch == nil || ch.AccountID != "a1" || ch.Old != iban.MustParse("NL91ABNA0417164300") {
		t.Errorf("re-add: %+v %+v %v", p.BankAccounts, ch, err)
	}
}

func TestProposeCategory(t *testing.T) {
	d := civil.MustParse
	births := map[string]civil.Date{
		"partner": d("1980-01-01"), "kid": d("2010-06-01"), "adult-kid": d("2000-01-01"), "grandma": d("1950-01-01"),
		"kid-turning-18": d("2008-03-15"), "unknown": {},
	}
	m := func(id, rel string, dep bool, from string) HouseholdMember {
		return HouseholdMember{PersonID: id, Relation: rel, Dependent: dep, ValidFrom: d(from)}
	}
	on := d("2026-03-15")
	for _, tc := range []struct {
		name    string
		members []HouseholdMember
		want    int
	}{
		{"alone", nil, CategoryIsole},
		{"member not yet arrived", []HouseholdMember{m("partner", RelationSpouse, false, "2026-03-16")}, CategoryIsole},
		{"member left", []HouseholdMember{{PersonID: "partner", Relation: RelationSpouse, ValidFrom: d("2020-01-01"), Until: d("2026-03-14")}}, CategoryIsole},
		{"partner", []HouseholdMember{m("partner", RelationDeFactoPartner, false, "2020-01-01")}, CategoryCohabitant},
		{"dependent minor child", []HouseholdMember{m("kid", RelationChild, true, "2010-06-01")}, CategoryFamilleACharge},
		{"child not dependent", []HouseholdMember{m("kid", RelationChild, false, "2010-06-01")}, CategoryCohabitant},
		{"married minor child", []HouseholdMember{{PersonID: "kid", Relation: RelationChild, Dependent: true, Married: true, ValidFrom: d("2010-06-01")}}, CategoryCohabitant},
		{"adult child", []HouseholdMember{m("adult-kid", RelationChild, true, "2000-01-01")}, CategoryCohabitant},
		{"child 18 today", []HouseholdMember{m("kid-turning-18", RelationChild, true, "2008-03-15")}, CategoryCohabitant},
		{"child of unknown birth", []HouseholdMember{m("unknown", RelationChild, true, "2008-03-15")}, CategoryCohabitant},
		{"dependent parent only", []HouseholdMember{m("grandma", RelationParent, true, "2020-01-01")}, CategoryCohabitant},
		{"partner and kid", []HouseholdMember{m("partner", RelationSpouse, false, "2020-01-01"), m("kid", RelationChild, true, "2010-06-01")}, CategoryFamilleACharge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ProposeCategory(tc.members, births, on)
			if p.Category != tc.want {
				t.Fatalf("category %d, want %d", p.Category, tc.want)
			}
			if p.Explanation["fr"] == "" || p.Explanation["nl"] == "" || !strings.Contains(p.Explanation["fr"], "au 15 mars 2026") || !strings.Contains(p.Explanation["nl"], "op 15 maart 2026") {
				t.Errorf("explanation %v", p.Explanation)
			}
			if p.Name["fr"] != CategoryNames[tc.want]["fr"] {
				t.Errorf("name %v", p.Name)
			}
		})
	}
	// The day before the 18th birthday the child still counts.
	if p := ProposeCategory([]HouseholdMember{m("kid-turning-18", RelationChild, true, "2008-03-15")}, births, d("2026-03-14")); p.Category != CategoryFamilleACharge {
		t.Errorf("day before 18: %d", p.Category)
	}
}

func TestParseHousehold(t *testing.T) {
	exists := map[string]bool{"p2": true, "p3": true}
	_, err := parseHousehold("p1", []MemberInput{
		{PersonID: "p1", Relation: RelationChild, ValidFrom: "2020-01-01"},
		{PersonID: "p9", Relation: RelationChild, ValidFrom: "2020-01-01"},
		{PersonID: "p2", Relation: "cousin", ValidFrom: "2020-02-30"},
		{PersonID: "p3", Relation: RelationParent, ValidFrom: "2020-01-01", Until: "2019-01-01"},
	}, exists)
	got := fieldCodes(t, err)
	want := map[string]string{"members[0].person_id": "person.member_self", "members[1].person_id": "person.member_unknown",
		"members[2].relation": "invalid_choice", "members[2].valid_from": "invalid_date", "members[3].until": "person.until_before_from"}
	for f, c := range want {
		if got[f] != c {
			t.Errorf("%s = %q, want %q (all: %v)", f, got[f], c, got)
		}
	}
	// The same person twice over overlapping periods is refused; over successive periods it is history.
	_, err = parseHousehold("p1", []MemberInput{
		{PersonID: "p2", Relation: RelationSpouse, ValidFrom: "2020-01-01", Until: "2021-12-31"},
		{PersonID: "p2", Relation: RelationDeFactoPartner, ValidFrom: "2021-06-01"},
	}, exists)
	if fieldCodes(t, err)["members[1].person_id"] != "person.member_repeated" {
		t.Errorf("overlap: %v", err)
	}
	hh, err := parseHousehold("p1", []MemberInput{
		{PersonID: "p2", Relation: RelationSpouse, ValidFrom: "2020-01-01", Until: "2021-12-31"},
		{PersonID: "p2", Relation: RelationDeFactoPartner, ValidFrom: "2022-01-01"},
	}, exists)
	if err != nil || len(hh) != 2 {
		t.Errorf("history: %v %v", hh, err)
	}
}

func TestVisibilityAndFileLinks(t *testing.T) {
	p := Person{RegisteredBy: "w1"}
	p.applyFileLinks(nil)
	if !p.VisibleTo(Viewer{UserID: "w1"}) || p.VisibleTo(Viewer{UserID: "w2"}) || !p.VisibleTo(Viewer{UserID: "x", Head: true}) {
		t.Fatal("registering worker must see a person without file, nobody else but the head")
	}
	p.applyFileLinks([]FileLink{{FileID: "f1", Number: "2026/000001", Open: true, Worker: "w2", Team: "t1"}})
	if p.VisibleTo(Viewer{UserID: "w1"}) || !p.VisibleTo(Viewer{UserID: "w2"}) || !p.VisibleTo(Viewer{UserID: "w3", Teams: []string{"t1"}}) {
		t.Errorf("access after file link = %+v", p.Access)
	}
	if got := p.FileNumbers(); len(got) != 1 || got[0] != "2026/000001" {
		t.Errorf("file numbers %v", got)
	}
}
