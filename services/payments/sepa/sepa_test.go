package sepa

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
)

func TestTransliterate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Dupont Jean", "Dupont Jean"},
		{"Hélène Lefèvre-Müller", "Helene Lefevre-Muller"},
		{"François Ærts & Cie", "Francois AErts + Cie"},
		{"Straße 12", "Strasse 12"},
		{"Œuvre d’entraide «Les Ôtages»", "OEuvre d'entraide 'Les Otages'"},
		{"Łukasz Wójcik", "Lukasz Wojcik"},
		{"Ștefan Țurcanu", "Stefan Turcanu"},
		{"  Jean   Dupont \t", "Jean Dupont"},
		{"RIS 2026/11 — décision n° 42", "RIS 2026/11 - decision n. 42"},
		{"e\u0301te\u0301", "ete"}, // decomposed accents
		{"Ολυμπία", "."},
		{"Olympia (Ολυμπία)", "Olympia (.)"},
		{"a_b;c!d@e", "a-b,c.d e"},
		{"Zoë's 100% €", "Zoe's 100"},
		{"", ""},
	} {
		got := Transliterate(tc.in)
		if got != tc.want {
			t.Errorf("Transliterate(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for i := 0; i < len(got); i++ {
			if !allowed(got[i]) {
				t.Errorf("Transliterate(%q) = %q has %q outside the SEPA set", tc.in, got, got[i])
			}
		}
	}
}

func TestText(t *testing.T) {
	long := strings.Repeat("Éloïse ", 20) // 140 characters
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{long, 70, strings.TrimSpace(strings.Repeat("Eloise ", 10))},
		{long, 14, "Eloise Eloise"}, // cut on a space: trailing space trimmed
		{long, 16, "Eloise Eloise El"},
		{"Court", 70, "Court"},
		{"Ολυμπία Παπαδοπούλου", 70, ""},
		{"-- / --", 70, ""},
	} {
		if got := Text(tc.in, tc.max); got != tc.want || len(got) > tc.max {
			t.Errorf("Text(…, %d) = %q, want %q", tc.max, got, tc.want)
		}
	}
}

func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"RUN-2026-11-0001", true},
		{"E2E/2026/000123", true},
		{strings.Repeat("A", 35), true},
		{strings.Repeat("A", 36), false},
		{"", false},
		{"/E2E", false},
		{"E2E/", false},
		{"E2E//1", false},
		{"E2E 1", false},
		{"É2E", false},
		{"E2E&1", false},
	} {
		if err := checkID("EndToEndId", tc.id); (err == nil) != tc.ok {
			t.Errorf("checkID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

var (
	cpasIBAN   = iban.MustParse("BE68539007547034")
	payeeIBAN  = iban.MustParse("BE21001234567803")
	payee2IBAN = iban.MustParse("BE05068123456775")
	foreignIBN = iban.MustParse("FR1420041010050500013M02606")
	created    = time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
)

// sampleRun writes the file a monthly run produces: a batch-booked block of RIS instalments with the decision
// reference, and a separate block for a landlord paid with its structured communication.
func sampleRun(t *testing.T, v Version) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, v, GroupHeader{
		MsgID: "ENTRAIDE-RUN-2026-12-0001", CreatedAt: created,
		NumberOfTransactions: 4, ControlSumCents: 123456 + 98765 + 5000 + 65000,
		InitiatingPartyName: "CPAS de Liège", InitiatingPartyID: "0212345678",
	})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.StartPaymentInfo(PaymentInfo{
		ID: "RUN-2026-12-0001-RIS", BatchBooking: true, ExecutionDate: civil.MustNew(2026, 12, 1),
		DebtorName: "CPAS de Liège", DebtorIBAN: cpasIBAN, DebtorBIC: "BBRUBEBB",
		NumberOfTransactions: 3, ControlSumCents: 123456 + 98765 + 5000,
	}))
	must(w.Add(Transaction{EndToEndID: "E2E-000001", AmountCents: 123456, CreditorName: "Hélène Lefèvre",
		CreditorIBAN: payeeIBAN, Unstructured: "RIS décembre 2026 – décision D-2026-0042"}))
	must(w.Add(Transaction{EndToEndID: "E2E-000002", AmountCents: 98765, CreditorName: "Jean-François Ærts",
		CreditorIBAN: payee2IBAN, CreditorBIC: "GKCCBEBB", Unstructured: "RIS décembre 2026 – décision D-2026-0043"}))
	must(w.Add(Transaction{EndToEndID: "E2E-000003", AmountCents: 5000, CreditorName: strings.Repeat("Bénéficiaire ", 8),
		CreditorIBAN: foreignIBN, Unstructured: strings.Repeat("Aide ponctuelle ", 12)}))
	must(w.StartPaymentInfo(PaymentInfo{
		ID: "RUN-2026-12-0001-TIERS", ExecutionDate: civil.MustNew(2026, 12, 1),
		DebtorName: "CPAS de Liège", DebtorIBAN: cpasIBAN,
		NumberOfTransactions: 1, ControlSumCents: 65000,
	}))
	must(w.Add(Transaction{EndToEndID: "E2E-000004", AmountCents: 65000, CreditorName: "Logements Sociaux SCRL",
		CreditorIBAN: payeeIBAN, StructuredOGM: ogm.MustParse("+++123/4567/89002+++"), Unstructured: "ignored"}))
	must(w.Close())
	return out.Bytes()
}

func TestWriterValidAgainstSchema(t *testing.T) {
	for _, v := range []Version{Pain00100109, Pain00100103} {
		t.Run(v.String(), func(t *testing.T) {
			doc := sampleRun(t, v)
			xsdcheck.Validate(t, v.String(), doc)
		})
	}
}

// parsed is what a reader of the file sees, to check content independently of the layout.
type parsed struct {
	XMLName xml.Name
	GrpHdr  struct {
		MsgID    string `xml:"MsgId"`
		CreDtTm  string
		NbOfTxs  string
		CtrlSum  string
		InitgPty struct {
			Nm string
			Id string `xml:"Id>OrgId>Othr>Id"`
		}
	} `xml:"CstmrCdtTrfInitn>GrpHdr"`
	PmtInf []struct {
		PmtInfID    string `xml:"PmtInfId"`
		BtchBookg   string
		NbOfTxs     string
		CtrlSum     string
		ReqdExctnDt struct {
			Text string `xml:",chardata"`
			Dt   string
		}
		DbtrAgt struct {
			BICFI string `xml:"FinInstnId>BICFI"`
			BIC   string `xml:"FinInstnId>BIC"`
			Othr  string `xml:"FinInstnId>Othr>Id"`
		}
		Tx []struct {
			EndToEndID string `xml:"PmtId>EndToEndId"`
			Amt        struct {
				Ccy   string `xml:",attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt>InstdAmt"`
			Nm    string `xml:"Cdtr>Nm"`
			IBAN  string `xml:"CdtrAcct>Id>IBAN"`
			Ustrd string `xml:"RmtInf>Ustrd"`
			Strd  struct {
				Cd   string `xml:"Tp>CdOrPrtry>Cd"`
				Issr string `xml:"Tp>Issr"`
				Ref  string
			} `xml:"RmtInf>Strd>CdtrRefInf"`
		} `xml:"CdtTrfTxInf"`
	} `xml:"CstmrCdtTrfInitn>PmtInf"`
}

func TestWriterContent(t *testing.T) {
	for _, v := range []Version{Pain00100109, Pain00100103} {
		t.Run(v.String(), func(t *testing.T) {
			var p parsed
			if err := xml.Unmarshal(sampleRun(t, v), &p); err != nil {
				t.Fatal(err)
			}
			if p.XMLName.Space != v.Namespace() {
				t.Errorf("namespace %q", p.XMLName.Space)
			}
			h := p.GrpHdr
			if h.MsgID != "ENTRAIDE-RUN-2026-12-0001" || h.CreDtTm != "2026-11-30T10:15:00" || h.NbOfTxs != "4" ||
				h.CtrlSum != "2922.21" || h.InitgPty.Nm != "CPAS de Liege" || h.InitgPty.Id != "0212345678" {
				t.Errorf("group header %+v", h)
			}
			if len(p.PmtInf) != 2 {
				t.Fatalf("%d blocks", len(p.PmtInf))
			}
			b := p.PmtInf[0]
			date := b.ReqdExctnDt.Text
			if v == Pain00100109 {
				date = b.ReqdExctnDt.Dt
			}
			if b.PmtInfID != "RUN-2026-12-0001-RIS" || b.BtchBookg != "true" || b.NbOfTxs != "3" || b.CtrlSum != "2272.21" || date != "2026-12-01" {
				t.Errorf("block %+v", b)
			}
			if bic := b.DbtrAgt.BICFI + b.DbtrAgt.BIC; bic != "BBRUBEBB" {
				t.Errorf("debtor BIC %q", bic)
			}
			if p.PmtInf[1].DbtrAgt.Othr != "NOTPROVIDED" || p.PmtInf[1].BtchBookg != "false" {
				t.Errorf("second block %+v", p.PmtInf[1])
			}
			tx := b.Tx[0]
			if tx.EndToEndID != "E2E-000001" || tx.Amt.Value != "1234.56" || tx.Amt.Ccy != "EUR" || tx.Nm != "Helene Lefevre" ||
				tx.IBAN != "BE21001234567803" || tx.Ustrd != "RIS decembre 2026 - decision D-2026-0042" {
				t.Errorf("transaction %+v", tx)
			}
			if tx := b.Tx[2]; tx.Amt.Value != "50.00" || len(tx.Nm) > 70 || len(tx.Ustrd) > 140 || len(tx.Ustrd) < 130 {
				t.Errorf("truncation: name %d %q, remittance %d", len(tx.Nm), tx.Nm, len(tx.Ustrd))
			}
			s := p.PmtInf[1].Tx[0]
			if s.Strd.Cd != "SCOR" || s.Strd.Issr != "BBA" || s.Strd.Ref != "123456789002" || s.Ustrd != "" {
				t.Errorf("structured remittance %+v", s)
			}
		})
	}
}

func TestWriterRefuses(t *testing.T) {
	okHeader := GroupHeader{MsgID: "M1", CreatedAt: created, NumberOfTransactions: 1, ControlSumCents: 100, InitiatingPartyName: "CPAS"}
	okBlock := PaymentInfo{ID: "P1", ExecutionDate: civil.MustNew(2026, 12, 1), DebtorName: "CPAS", DebtorIBAN: cpasIBAN,
		NumberOfTransactions: 1, ControlSumCents: 100}
	okTx := Transaction{EndToEndID: "E1", AmountCents: 100, CreditorName: "X", CreditorIBAN: payeeIBAN}
	for _, tc := range []struct {
		name   string
		header func(*GroupHeader)
		block  func(*PaymentInfo)
		tx     func(*Transaction)
		want   error
	}{
		{"MsgId too long", func(h *GroupHeader) { h.MsgID = strings.Repeat("M", 36) }, nil, nil, ErrInvalidID},
		{"no creation time", func(h *GroupHeader) { h.CreatedAt = time.Time{} }, nil, nil, ErrMissing},
		{"no initiating party", func(h *GroupHeader) { h.InitiatingPartyName = " " }, nil, nil, ErrMissing},
		{"header count wrong", func(h *GroupHeader) { h.NumberOfTransactions = 2 }, nil, nil, ErrTotals},
		{"header sum wrong", func(h *GroupHeader) { h.ControlSumCents = 101 }, nil, nil, ErrTotals},
		{"block sum wrong", nil, func(p *PaymentInfo) { p.ControlSumCents = 99 }, nil, ErrTotals},
		{"block without date", nil, func(p *PaymentInfo) { p.ExecutionDate = civil.Date{} }, nil, ErrMissing},
		{"block without account", nil, func(p *PaymentInfo) { p.DebtorIBAN = iban.IBAN{} }, nil, ErrMissing},
		{"bad debtor BIC", nil, func(p *PaymentInfo) { p.DebtorBIC = "BBRU" }, nil, ErrInvalidID},
		{"EndToEndId with space", nil, nil, func(x *Transaction) { x.EndToEndID = "E 1" }, ErrInvalidID},
		{"zero amount", nil, nil, func(x *Transaction) { x.AmountCents = 0 }, ErrInvalidAmount},
		{"negative amount", nil, nil, func(x *Transaction) { x.AmountCents = -100 }, ErrInvalidAmount},
		{"no creditor account", nil, nil, func(x *Transaction) { x.CreditorIBAN = iban.IBAN{} }, ErrMissing},
		{"creditor name unwritable", nil, nil, func(x *Transaction) { x.CreditorName = "  " }, ErrMissing},
		{"creditor name in another script", nil, nil, func(x *Transaction) { x.CreditorName = "Иван Петров" }, ErrMissing},
		{"bad creditor BIC", nil, nil, func(x *Transaction) { x.CreditorBIC = "gkccbebb" }, ErrInvalidID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, p, x := okHeader, okBlock, okTx
			if tc.header != nil {
				tc.header(&h)
			}
			if tc.block != nil {
				tc.block(&p)
			}
			if tc.tx != nil {
				tc.tx(&x)
			}
			var out bytes.Buffer
			w, err := NewWriter(&out, Pain00100109, h)
			if err == nil {
				err = w.StartPaymentInfo(p)
				if err == nil {
					err = w.Add(x)
				}
				if cerr := w.Close(); err == nil {
					err = cerr
				} else if cerr != err {
					t.Errorf("Close after %v returned %v, want the first error", err, cerr)
				}
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "Helene") || strings.Contains(err.Error(), payeeIBAN.String()) {
				t.Errorf("error names personal data: %v", err)
			}
		})
	}
}

func TestWriterOrder(t *testing.T) {
	h := GroupHeader{MsgID: "M1", CreatedAt: created, NumberOfTransactions: 2, ControlSumCents: 200, InitiatingPartyName: "CPAS"}
	p := PaymentInfo{ID: "P1", ExecutionDate: civil.MustNew(2026, 12, 1), DebtorName: "CPAS", DebtorIBAN: cpasIBAN, NumberOfTransactions: 1, ControlSumCents: 100}
	tx := Transaction{EndToEndID: "E1", AmountCents: 100, CreditorName: "X", CreditorIBAN: payeeIBAN}

	w, _ := NewWriter(&bytes.Buffer{}, Pain00100109, h)
	if err := w.Add(tx); !errors.Is(err, ErrState) {
		t.Errorf("Add before a block: %v", err)
	}
	w, _ = NewWriter(&bytes.Buffer{}, Pain00100109, h)
	if err := w.Close(); !errors.Is(err, ErrState) {
		t.Errorf("Close without a block: %v", err)
	}
	w, _ = NewWriter(&bytes.Buffer{}, Pain00100109, h)
	_ = w.StartPaymentInfo(p)
	_ = w.Add(tx)
	if err := w.StartPaymentInfo(p); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same PmtInfId twice: %v", err)
	}
	if _, err := NewWriter(&bytes.Buffer{}, Version(9), h); !errors.Is(err, ErrState) {
		t.Errorf("unknown version: %v", err)
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(b []byte) (int, error) {
	f.n += len(b)
	if f.n > 100 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

func TestWriterPropagatesWriteError(t *testing.T) {
	n := 5000
	h := GroupHeader{MsgID: "M1", CreatedAt: created, NumberOfTransactions: n, ControlSumCents: int64(n) * 100, InitiatingPartyName: "CPAS"}
	w, err := NewWriter(&failingWriter{}, Pain00100109, h)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.StartPaymentInfo(PaymentInfo{ID: "P1", ExecutionDate: civil.MustNew(2026, 12, 1), DebtorName: "CPAS", DebtorIBAN: cpasIBAN,
		NumberOfTransactions: n, ControlSumCents: int64(n) * 100})
	for i := 0; i < n; i++ {
		_ = w.Add(Transaction{EndToEndID: "E1", AmountCents: 100, CreditorName: "X", CreditorIBAN: payeeIBAN})
	}
	if err := w.Close(); err == nil || err.Error() != "disk full" {
		t.Errorf("Close = %v, want the write error", err)
	}
}

// FuzzTransliterate: whatever the input, the output is in the SEPA set, without leading, trailing or doubled
// spaces, and transliterating it again changes nothing.
func FuzzTransliterate(f *testing.F) {
	for _, s := range []string{"Hélène", "Straße", "  a  b ", "Ολυμπία", "e\u0301", "\xff\xfe", "&<>\"'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Transliterate(s)
		for i := 0; i < len(got); i++ {
			if !allowed(got[i]) {
				t.Fatalf("Transliterate(%q) = %q has %q", s, got, got[i])
			}
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Transliterate(%q) = %q has stray spaces", s, got)
		}
		if again := Transliterate(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		if cut := Text(s, 10); len(cut) > 10 {
			t.Fatalf("Text(%q, 10) = %q", s, cut)
		}
	})
}

// The same input gives the same bytes: the service relies on it so that exporting a run twice returns the same
// file.
func TestWriterDeterministic(t *testing.T) {
	for _, v := range []Version{Pain00100109, Pain00100103} {
		if a, b := sampleRun(t, v), sampleRun(t, v); !bytes.Equal(a, b) {
			t.Errorf("%s: two writes differ", v)
		}
	}
}

// A larger file with the names a CPAS meets (accents, ligatures, other scripts, punctuation, over-long texts)
// stays valid against the schema, in both versions.
func TestWriterManyNamesValid(t *testing.T) {
	names := []string{"Ævar Þórsson", "Zoë O'Brien-Müller", "Łucja Żółć", "Olympia Papadopoulou (Ολυμπία)", "Ivan Petrov / Иван Петров",
		"Mohamed Al-Ali محمد العلي", "Nguyễn Văn An", "Jean \"Jojo\" <Dupont> & Fils", strings.Repeat("Maximilien ", 12), "François_Ñúñez;#1",
		"  Émile   Zola  ", "Dvořák Ščerbová", "Søren Kierkegård", "Ștefan Țepeș", "Ingrid Bergström"}
	remit := []string{"RIS décembre – décision n° D-2026/0042", "Aide « énergie » 2026", strings.Repeat("loyer ", 40), "€ 100 @ 5%"}
	const n = 1000
	for _, v := range []Version{Pain00100109, Pain00100103} {
		t.Run(v.String(), func(t *testing.T) {
			var total int64
			for i := 0; i < n; i++ {
				total += int64(100 + i)
			}
			var out bytes.Buffer
			w, err := NewWriter(&out, v, GroupHeader{MsgID: "MANY-1", CreatedAt: created, NumberOfTransactions: n, ControlSumCents: total, InitiatingPartyName: "CPAS d'Ixelles / OCMW Elsene"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.StartPaymentInfo(PaymentInfo{ID: "MANY-1-A", ExecutionDate: civil.MustNew(2026, 12, 1), DebtorName: "CPAS d'Ixelles",
				DebtorIBAN: cpasIBAN, DebtorBIC: "GKCCBEBB", NumberOfTransactions: n, ControlSumCents: total}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				tx := Transaction{EndToEndID: "E2E/MANY/" + strconv.Itoa(i), AmountCents: int64(100 + i), CreditorName: names[i%len(names)],
					CreditorIBAN: []iban.IBAN{payeeIBAN, payee2IBAN, foreignIBN}[i%3], Unstructured: remit[i%len(remit)]}
				if i%7 == 0 {
					tx.StructuredOGM, _ = ogm.FromSequence(uint64(i))
				}
				if i%5 == 0 {
					tx.CreditorBIC = "BBRUBEBBXXX"
				}
				if err := w.Add(tx); err != nil {
					t.Fatalf("transaction %d: %v", i, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			xsdcheck.Validate(t, v.String(), out.Bytes())
		})
	}
}
