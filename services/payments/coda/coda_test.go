package coda

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
)

func readAll(t testing.TB, file []byte) ([]*Statement, [][]*Movement, error) {
	t.Helper()
	p := NewParser(bytes.NewReader(file))
	var sts []*Statement
	var all [][]*Movement
	for {
		st, err := p.NextStatement()
		if err == io.EOF {
			return sts, all, nil
		}
		if err != nil {
			return sts, all, err
		}
		sts = append(sts, st)
		var ms []*Movement
		for {
			m, err := p.NextMovement()
			if err == io.EOF {
				break
			}
			if err != nil {
				return sts, all, err
			}
			ms = append(ms, m)
		}
		all = append(all, ms)
	}
}

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/statement.cod")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lines(t testing.TB) []string {
	return strings.Split(strings.TrimRight(string(fixture(t)), "\r\n"), "\r\n")
}

func TestFixture(t *testing.T) {
	sts, ms, err := readAll(t, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 {
		t.Fatalf("%d statements", len(sts))
	}
	s := sts[0]
	if s.CreationDate != civil.MustNew(2026, 12, 2) || s.BankID != "539" || s.Duplicate || s.FileReference != "0000000233" ||
		s.Addressee != "CPAS DE LIEGE" || s.BIC != "BBRUBEBB" || s.CompanyID != "00212345678" || s.Version != 2 {
		t.Errorf("header %+v", s)
	}
	if s.AccountStructure != 2 || s.Account != iban.MustParse("BE68539007547034") || s.Currency != "EUR" ||
		s.PaperSequence != 233 || s.Sequence != 233 || s.HolderName != "CPAS DE LIEGE" || s.Description != "Compte courant" {
		t.Errorf("account %+v", s)
	}
	if s.Old != (Balance{10000000, civil.MustNew(2026, 11, 30)}) || s.New != (Balance{9820794, civil.MustNew(2026, 12, 1)}) {
		t.Errorf("balances %+v %+v", s.Old, s.New)
	}
	if s.Records != 24 || s.DebitCents != 292971 || s.CreditCents != 113765 || s.MoreFiles || s.FreeCommunication != "Nouveaux tarifs au 1er janvier 2027" {
		t.Errorf("trailer %+v", s)
	}

	m := ms[0]
	if len(m) != 8 {
		t.Fatalf("%d movements", len(m))
	}
	var r Running
	for _, x := range m {
		r.Add(x)
	}
	if r.Movements != 5 {
		t.Errorf("running %+v", r)
	}
	if err := CheckContinuity(s, r); err != nil {
		t.Error(err)
	}

	global := m[0]
	if global.Sequence != 1 || global.Detail != 0 || global.IsDetail() || !global.Debit || global.AmountCents != 227221 ||
		global.TransactionCode != "10107000" || global.Globalisation != 1 || global.EndToEndID != "RUN-2026-12-0001-RIS" ||
		global.BankReference != "20261201BBRU0000001" || global.ValueDate != civil.MustNew(2026, 12, 1) || global.EntryDate != civil.MustNew(2026, 12, 1) {
		t.Errorf("global %+v", global)
	}
	var details int64
	for i, d := range m[1:4] {
		details += d.AmountCents
		if !d.IsDetail() || d.Detail != i+1 || d.Sequence != 1 || d.EndToEndID != []string{"E2E-000001", "E2E-000002", "E2E-000003"}[i] {
			t.Errorf("detail %d %+v", i, d)
		}
	}
	if details != global.AmountCents {
		t.Errorf("details add to %d", details)
	}
	if d := m[1]; d.Counterparty != (Party{"Helene Lefevre", "BE21001234567803", "EUR", "GEBABEBB"}) || d.Communication != "RIS decembre 2026 - decision D-2026-0042" {
		t.Errorf("first detail %+v", d)
	}
	if d := m[3]; d.Counterparty.Account != "FR1420041010050500013M02606" || d.Counterparty.BIC != "" {
		t.Errorf("foreign detail %+v", d)
	}

	landlord := m[4]
	if landlord.StructuredType != "101" || landlord.OGM.Format() != "+++123/4567/89002+++" || landlord.Communication != "" || landlord.EndToEndID != "E2E-000004" {
		t.Errorf("landlord %+v", landlord)
	}
	ret := m[5]
	if ret.Debit || ret.AmountCents != 98765 || ret.RType != "2" || ret.ReturnReason != "AC04" || ret.EndToEndID != "E2E-000002" ||
		ret.Information != "Retour: compte cloture (AC04)" || ret.Counterparty.Name != "Jean-Francois AErts" {
		t.Errorf("return %+v", ret)
	}
	in := m[6]
	if in.Debit || in.OGM.Format() != "+++090/9337/55493+++" || in.Counterparty != (Party{"Marc Dubois", "BE62510007547061", "EUR", "GKCCBEBB"}) {
		t.Errorf("recovery %+v", in)
	}
	fees := m[7]
	if fees.Communication != "Frais de gestion novembre 2026 - Liège" || fees.AmountCents != 750 || !fees.Debit || fees.TransactionCode != "13537000" {
		t.Errorf("fees %+v (Latin-1 text read as %q)", fees, fees.Communication)
	}
	for i, x := range m {
		if x.Line == 0 {
			t.Errorf("movement %d without a line", i)
		}
	}
	if m[4].Line != 14 {
		t.Errorf("landlord on line %d, want 14", m[4].Line)
	}
}

// The same file in UTF-8 (some banks' portals convert it) reads the same.
func TestUTF8File(t *testing.T) {
	var u []byte
	for _, c := range fixture(t) {
		u = append(u, []byte(string(rune(c)))...)
	}
	if bytes.Equal(u, fixture(t)) {
		t.Fatal("fixture has no Latin-1 character")
	}
	_, ms, err := readAll(t, u)
	if err != nil {
		t.Fatal(err)
	}
	if got := ms[0][7].Communication; got != "Frais de gestion novembre 2026 - Liège" {
		t.Errorf("communication %q", got)
	}
}

func TestTwoStatementsAndSequence(t *testing.T) {
	first := fixture(t)
	ls := lines(t)
	// The next day: statement 234, no movement, opening at the previous close.
	next := []string{
		"0" + ls[0][1:5] + "031226" + ls[0][11:],
		"1" + ls[1][1:2] + "234" + ls[1][5:42] + "0" + "000000098207940" + "011226" + ls[1][64:125] + "234",
		"8234" + ls[len(ls)-3][4:41] + "0" + "000000098207940" + "021226" + ls[len(ls)-3][63:],
		"9" + strings.Repeat(" ", 15) + "000002" + strings.Repeat("0", 30) + strings.Repeat(" ", 75) + "2",
	}
	file := append(append([]byte{}, first...), []byte(strings.Join(next, "\r\n")+"\r\n")...)
	sts, ms, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || len(ms[1]) != 0 {
		t.Fatalf("%d statements", len(sts))
	}
	if err := CheckContinuity(sts[1], Running{}); err != nil {
		t.Error(err)
	}
	if err := CheckSequence(sts[0], sts[1]); err != nil {
		t.Error(err)
	}
	if err := CheckSequence(sts[1], sts[0]); !errors.Is(err, ErrSequence) {
		t.Errorf("backwards: %v", err)
	}
	gap := *sts[1]
	gap.Sequence = 235
	if err := CheckSequence(sts[0], &gap); !errors.Is(err, ErrSequence) {
		t.Errorf("gap: %v", err)
	}
	year := *sts[1]
	year.Sequence, year.Old.Date = 1, civil.MustNew(2027, 1, 4)
	if err := CheckSequence(sts[0], &year); err != nil {
		t.Errorf("new year: %v", err)
	}

	// NextStatement skips the movements nobody read.
	p := NewParser(bytes.NewReader(file))
	a, _ := p.NextStatement()
	b, err := p.NextStatement()
	if err != nil || a.Sequence != 233 || b.Sequence != 234 {
		t.Fatalf("%v %v %v", a, b, err)
	}
	if _, err := p.NextStatement(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestContinuityFails(t *testing.T) {
	sts, ms, err := readAll(t, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var r Running
	for _, m := range ms[0][:7] { // the fees left out
		r.Add(m)
	}
	if err := CheckContinuity(sts[0], r); !errors.Is(err, ErrContinuity) {
		t.Errorf("CheckContinuity = %v", err)
	}
}

func TestRefuses(t *testing.T) {
	ls := lines(t)
	set := func(line int, pos int, s string) string { // 1-based line and position
		c := append([]string(nil), ls...)
		l := c[line-1]
		c[line-1] = l[:pos-1] + s + l[pos-1+len(s):]
		return strings.Join(c, "\r\n") + "\r\n"
	}
	drop := func(line int) string {
		c := append(append([]string(nil), ls[:line-1]...), ls[line:]...)
		return strings.Join(c, "\r\n") + "\r\n"
	}
	for _, tc := range []struct {
		name   string
		file   string
		want   error
		line   int
		record string
		field  string
	}{
		{"empty", "", ErrFormat, 1, "", ""},
		{"not CODA", "Date;Montant;Communication\r\n", ErrLength, 1, "", ""},
		{"short record", strings.Join(ls[:3], "\r\n")[:len(strings.Join(ls[:3], "\r\n"))-5] + "\r\n", ErrLength, 3, "", ""},
		{"version 1", set(1, 128, "1"), ErrFormat, 1, "0", "version code"},
		{"not application 05", set(1, 15, "09"), ErrFormat, 1, "0", "application code"},
		{"header missing", strings.Join(ls[1:], "\r\n"), ErrOrder, 1, "1", ""},
		{"bad old balance sign", set(2, 43, "5"), ErrInvalid, 2, "1", "balance sign"},
		{"bad account IBAN", set(2, 6, "BE68539007547035"), ErrInvalid, 2, "1", "account IBAN"},
		{"bad amount", set(3, 33, "00000000227221A"), ErrInvalid, 3, "2.1", "amount"},
		{"fraction of a cent", set(3, 33, "000000002272211"), ErrInvalid, 3, "2.1", "amount"},
		{"bad value date", set(3, 48, "321226"), ErrInvalid, 3, "2.1", "value date"},
		{"sequence gap", set(14, 3, "0003"), ErrOrder, 14, "2.1", "sequence number"},
		{"2.2 of another movement", set(15, 3, "0009"), ErrOrder, 15, "2.2", "sequence number"},
		{"announced 2.2 missing", drop(4), ErrOrder, 4, "2.1", ""},
		{"announced 3.1 missing", drop(20), ErrOrder, 20, "2.1", ""},
		{"record 8 of another account", set(25, 5, "BE21001234567803"), ErrInvalid, 25, "8", "account"},
		{"trailer count", set(27, 17, "000025"), ErrTrailer, 27, "9", "number of records"},
		{"trailer debit", set(27, 23, "000000002929720"), ErrTrailer, 27, "9", "debit total"},
		{"trailer credit", set(27, 38, "000000001137640"), ErrTrailer, 27, "9", "credit total"},
		{"truncated before trailer", strings.Join(ls[:26], "\r\n") + "\r\n", ErrTruncated, 27, "", ""},
		{"truncated in movements", strings.Join(ls[:10], "\r\n") + "\r\n", ErrTruncated, 11, "", ""},
		{"unknown record", set(24, 1, "7"), ErrOrder, 24, "7", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.file))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *coda.Error", err)
			}
			if pe.Line != tc.line || pe.Record != tc.record || pe.Field != tc.field {
				t.Errorf("at line %d record %q field %q, want %d %q %q (%v)", pe.Line, pe.Record, pe.Field, tc.line, tc.record, tc.field, err)
			}
			if strings.Contains(err.Error(), "Dubois") || strings.Contains(err.Error(), "Helene") {
				t.Errorf("error names a person: %v", err)
			}
		})
	}
}

// FuzzParser: whatever the bytes, no panic, and every error is a *coda.Error with a line.
func FuzzParser(f *testing.F) {
	f.Add(fixture(f))
	f.Add([]byte(strings.Join(lines(f)[:5], "\n")))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, file []byte) {
		_, _, err := readAll(t, file)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v (%T)", err, err)
			}
		}
	})
}
