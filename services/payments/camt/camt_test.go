package camt

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
)

func readAll(t testing.TB, doc []byte) ([]*Statement, [][]*Entry, error) {
	t.Helper()
	p := NewParser(bytes.NewReader(doc))
	var sts []*Statement
	var all [][]*Entry
	for {
		st, err := p.NextStatement()
		if err == io.EOF {
			return sts, all, nil
		}
		if err != nil {
			return sts, all, err
		}
		sts = append(sts, st)
		var es []*Entry
		for {
			e, err := p.NextEntry()
			if err == io.EOF {
				break
			}
			if err != nil {
				return sts, all, err
			}
			es = append(es, e)
		}
		all = append(all, es)
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFixturesValidAgainstSchema(t *testing.T) {
	xsdcheck.ValidateFile(t, "camt.053.001.08", "testdata/statement-v08.xml")
	if xsdcheck.Available("camt.053.001.02") {
		xsdcheck.ValidateFile(t, "camt.053.001.02", "testdata/statement-v02.xml")
	} else {
		t.Log("no camt.053.001.02 schema in the ISO 20022 folder: statement-v02.xml is checked by the parser only")
	}
}

func TestFixtures(t *testing.T) {
	for _, tc := range []struct{ file, version string }{
		{"statement-v08.xml", "camt.053.001.08"},
		{"statement-v02.xml", "camt.053.001.02"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			sts, entries, err := readAll(t, fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != 1 || len(entries[0]) != 5 {
				t.Fatalf("%d statements, entries %v", len(sts), entries)
			}
			st := sts[0]
			if st.Version != tc.version || st.MessageID != "BBRU-053-20261202-0001" || st.ID != "2026-233-BE68539007547034" ||
				st.ElectronicSequence != 233 || st.LegalSequence != 233 || st.Account != iban.MustParse("BE68539007547034") ||
				st.Currency != "EUR" || st.CreatedAt.UTC().Format("2006-01-02T15:04") != "2026-12-02T05:10" {
				t.Errorf("header %+v", st)
			}
			if st.Opening != (Balance{10000000, civil.MustNew(2026, 11, 30)}) || st.Closing != (Balance{9820794, civil.MustNew(2026, 12, 1)}) {
				t.Errorf("balances %+v %+v", st.Opening, st.Closing)
			}
			es := entries[0]
			var run Running
			for _, e := range es {
				run.Add(e)
			}
			if err := CheckContinuity(st, run); err != nil {
				t.Error(err)
			}

			batch := es[0]
			if batch.AmountCents != 227221 || batch.CreditDebit != Debit || !batch.Booked() || batch.Currency != "EUR" ||
				batch.BookingDate != civil.MustNew(2026, 12, 1) || batch.ValueDate != civil.MustNew(2026, 12, 1) ||
				batch.AccountServicerRef != "20261201BBRU0000001" || batch.BankTransactionCode != "PMNT/ICDT/ESCT" || batch.Reference != "1" {
				t.Errorf("batch entry %+v", batch)
			}
			if len(batch.Batches) != 1 || batch.Batches[0] != (Batch{"ENTRAIDE-RUN-2026-12-0001", "RUN-2026-12-0001-RIS", 3, 227221, Debit}) {
				t.Errorf("batch %+v", batch.Batches)
			}
			if len(batch.Transactions) != 3 {
				t.Fatalf("batch transactions %+v", batch.Transactions)
			}
			var sum int64
			for i, tx := range batch.Transactions {
				sum += tx.AmountCents
				if tx.PmtInfID != "RUN-2026-12-0001-RIS" || tx.EndToEndID != []string{"E2E-000001", "E2E-000002", "E2E-000003"}[i] {
					t.Errorf("tx %d %+v", i, tx)
				}
			}
			if sum != batch.Batches[0].TotalCents {
				t.Errorf("batch transactions add up to %d", sum)
			}
			if tx := batch.Transactions[0]; tx.Creditor != (Party{"Helene Lefevre", "BE21001234567803"}) || tx.Unstructured != "RIS decembre 2026 - decision D-2026-0042" || !tx.OGM.IsZero() {
				t.Errorf("first tx %+v", tx)
			}
			if tx := batch.Transactions[2]; tx.Creditor.IBAN != "FR1420041010050500013M02606" || tx.AmountCents != 5000 {
				t.Errorf("foreign tx %+v", tx)
			}

			landlord := es[1].Transactions[0]
			if landlord.StructuredRef != "123456789002" || landlord.StructuredRefType != "SCOR" || landlord.StructuredIssuer != "BBA" ||
				landlord.OGM.Format() != "+++123/4567/89002+++" || landlord.EndToEndID != "E2E-000004" {
				t.Errorf("landlord %+v", landlord)
			}

			ret := es[2]
			if ret.CreditDebit != Credit || ret.Reversal || ret.AmountCents != 98765 || ret.BankTransactionCode != "PMNT/ICDT/RRTN" {
				t.Errorf("return entry %+v", ret)
			}
			if tx := ret.Transactions[0]; tx.ReturnReason != "AC04" || tx.ReturnInfo != "Account closed" || tx.EndToEndID != "E2E-000002" ||
				tx.TransactionID != "GKCC20261201R00017" || tx.AmountCents != 98765 {
				t.Errorf("return %+v", tx)
			}

			in := es[3].Transactions[0]
			if es[3].CreditDebit != Credit || in.EndToEndID != "NOTPROVIDED" || in.Debtor != (Party{"Marc Dubois", "BE62510007547061"}) ||
				in.OGM.Format() != "+++090/9337/55493+++" {
				t.Errorf("recovery %+v", in)
			}

			fees := es[4]
			if len(fees.Transactions) != 0 || fees.AmountCents != 750 || fees.CreditDebit != Debit || fees.AdditionalInfo != "Frais de gestion de compte novembre 2026" ||
				fees.BankTransactionCode != "ACMT/MDOP/CHRG" {
				t.Errorf("fees %+v", fees)
			}
			for i, e := range es {
				if e.Line == 0 {
					t.Errorf("entry %d without a line", i)
				}
			}
		})
	}
}

// The two versions of the same day read the same, but for what .02 cannot say (a transaction's direction).
func TestVersionsAgree(t *testing.T) {
	_, e08, err := readAll(t, fixture(t, "statement-v08.xml"))
	if err != nil {
		t.Fatal(err)
	}
	_, e02, err := readAll(t, fixture(t, "statement-v02.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range e08[0] {
		a, b := *e08[0][i], *e02[0][i]
		a.Line, b.Line = 0, 0
		for j := range a.Transactions {
			a.Transactions[j].CreditDebit = ""
		}
		if !equalEntries(a, b) {
			t.Errorf("entry %d differs:\n.08 %+v\n.02 %+v", i, a, b)
		}
	}
}

func equalEntries(a, b Entry) bool {
	if len(a.Transactions) != len(b.Transactions) || len(a.Batches) != len(b.Batches) {
		return false
	}
	for i := range a.Transactions {
		if a.Transactions[i] != b.Transactions[i] {
			return false
		}
	}
	for i := range a.Batches {
		if a.Batches[i] != b.Batches[i] {
			return false
		}
	}
	a.Transactions, b.Transactions, a.Batches, b.Batches = nil, nil, nil, nil
	return a.Reference == b.Reference && a.AmountCents == b.AmountCents && a.Currency == b.Currency &&
		a.CreditDebit == b.CreditDebit && a.Reversal == b.Reversal && a.Status == b.Status && a.BookingDate == b.BookingDate &&
		a.ValueDate == b.ValueDate && a.AccountServicerRef == b.AccountServicerRef && a.BankTransactionCode == b.BankTransactionCode &&
		a.AdditionalInfo == b.AdditionalInfo
}

func lineOf(doc, needle string) int {
	i := strings.Index(doc, needle)
	if i < 0 {
		return -1
	}
	return strings.Count(doc[:i], "\n") + 1
}

func TestRefuses(t *testing.T) {
	v08 := string(fixture(t, "statement-v08.xml"))
	replace := func(old, new string) string {
		if !strings.Contains(v08, old) {
			t.Fatalf("fixture has no %q", old)
		}
		return strings.Replace(v08, old, new, 1)
	}
	cut := func(needle string) string { return v08[:strings.Index(v08, needle)+len(needle)] }
	for _, tc := range []struct {
		name    string
		doc     string
		want    error
		line    int    // expected line, 0: not checked
		element string // expected element, "": not checked
	}{
		{"DOCTYPE with an external entity", strings.Replace(v08, "<Document", `<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`+"\n<Document", 1), ErrInsecure, lineOf(v08, "<Document"), ""},
		{"entity reference", replace("<NtryRef>1</NtryRef>", "<NtryRef>&xxe;</NtryRef>"), ErrInsecure, lineOf(v08, "<NtryRef>1<"), ""},
		{"billion laughs", "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<Document/>", ErrInsecure, 0, ""},
		{"camt.052 namespace", strings.Replace(v08, NamespaceV08, "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08", 1), ErrVersion, 0, ""},
		{"camt.053.001.04", strings.Replace(v08, NamespaceV08, "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04", 1), ErrVersion, 0, ""},
		{"no namespace", strings.Replace(v08, ` xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"`, "", 1), ErrVersion, 0, ""},
		{"a pain.001", "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><CstmrCdtTrfInitn/></Document>", ErrVersion, 2, "CstmrCdtTrfInitn"},
		{"not XML", "NOT A STATEMENT", ErrSyntax, 1, ""},
		{"empty", "", ErrVersion, 0, ""},
		{"truncated in an entry", cut("<AcctSvcrRef>20261201BBRU0000003</AcctSvcrRef>"), ErrTruncated, 0, ""},
		{"truncated in a tag", cut("<AcctSvcrRef>20261201BBRU00000")[:len(cut("<AcctSvcrRef>20261201BBRU00000"))-20], ErrTruncated, 0, ""},
		{"truncated before </Document>", cut("</BkToCstmrStmt>"), ErrTruncated, 0, ""},
		{"mismatched tag", replace("<NtryRef>2</NtryRef>", "<NtryRef>2</NtryRf>"), ErrSyntax, lineOf(v08, "<NtryRef>2<"), ""},
		{"bad amount", replace(`<Amt Ccy="EUR">650.00</Amt>`, `<Amt Ccy="EUR">650,00</Amt>`), ErrInvalid, lineOf(v08, `<Amt Ccy="EUR">650.00</Amt>`), "BkToCstmrStmt/Stmt/Ntry/Amt"},
		{"fraction of a cent", replace(`<Amt Ccy="EUR">650.00</Amt>`, `<Amt Ccy="EUR">650.005</Amt>`), ErrInvalid, lineOf(v08, `<Amt Ccy="EUR">650.00</Amt>`), "BkToCstmrStmt/Stmt/Ntry/Amt"},
		{"bad indicator", replace("<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>", "<CdtDbtInd>DEBIT</CdtDbtInd>\n        <Sts>"), ErrInvalid, 0, "BkToCstmrStmt/Stmt/Ntry/CdtDbtInd"},
		{"bad booking date", replace("<BookgDt>\n          <Dt>2026-12-01</Dt>", "<BookgDt>\n          <Dt>2026-12-41</Dt>"), ErrInvalid, 0, "BkToCstmrStmt/Stmt/Ntry/BookgDt/Dt"},
		{"bad account IBAN", replace("<IBAN>BE68539007547034</IBAN>", "<IBAN>BE68539007547035</IBAN>"), ErrInvalid, lineOf(v08, "<IBAN>BE68539007547034</IBAN>"), "BkToCstmrStmt/Stmt/Acct/Id/IBAN"},
		{"no closing balance", replace("<Cd>CLBD</Cd>", "<Cd>ITBD</Cd>"), ErrMissing, lineOf(v08, "<Stmt>"), "BkToCstmrStmt/Stmt/Bal"},
		{"balance without date", replace("<Dt>\n          <Dt>2026-11-30</Dt>\n        </Dt>", ""), ErrMissing, 0, "BkToCstmrStmt/Stmt/Bal"},
		{"entry without status", replace("<Sts>\n          <Cd>BOOK</Cd>\n        </Sts>", ""), ErrMissing, lineOf(v08, "<NtryRef>1<") - 1, "BkToCstmrStmt/Stmt/Ntry"},
		{"content after the document", v08 + "<Document/>", ErrSyntax, 0, ""},
		{"text after the document", v08 + "garbage", ErrSyntax, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.doc))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %v is not a *camt.Error", err)
			}
			if tc.line != 0 && pe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if tc.element != "" && pe.Element != tc.element {
				t.Errorf("element %q, want %q (%v)", pe.Element, tc.element, err)
			}
			if pe.Line == 0 {
				t.Errorf("no line in %v", err)
			}
			if strings.Contains(err.Error(), "Dubois") {
				t.Errorf("error names a person: %v", err)
			}
		})
	}
}

// In .02 the transaction amount sits in AmtDtls: the booked TxAmt wins over the instructed InstdAmt.
func TestV02AmountDetails(t *testing.T) {
	doc := strings.Replace(string(fixture(t, "statement-v02.xml")),
		"<AmtDtls>\n              <TxAmt>\n                <Amt Ccy=\"EUR\">1234.56</Amt>",
		"<AmtDtls>\n              <InstdAmt><Amt Ccy=\"EUR\">1234.55</Amt></InstdAmt>\n              <TxAmt>\n                <Amt Ccy=\"EUR\">1234.56</Amt>", 1)
	doc = strings.Replace(doc, "<AmtDtls>\n              <TxAmt>\n                <Amt Ccy=\"EUR\">50.00</Amt>\n              </TxAmt>",
		"<AmtDtls>\n              <InstdAmt><Amt Ccy=\"EUR\">50.00</Amt></InstdAmt>", 1)
	if strings.Count(doc, "<InstdAmt>") != 2 {
		t.Fatal("fixture changed: the test no longer rewrites two amounts")
	}
	_, es, err := readAll(t, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	txs := es[0][0].Transactions
	if txs[0].AmountCents != 123456 || txs[2].AmountCents != 5000 {
		t.Errorf("amounts %d %d", txs[0].AmountCents, txs[2].AmountCents)
	}
}

func TestContinuityFails(t *testing.T) {
	doc := strings.Replace(string(fixture(t, "statement-v08.xml")), "<Amt Ccy=\"EUR\">98207.94</Amt>", "<Amt Ccy=\"EUR\">98207.95</Amt>", 1)
	sts, es, err := readAll(t, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var r Running
	for _, e := range es[0] {
		r.Add(e)
	}
	if err := CheckContinuity(sts[0], r); !errors.Is(err, ErrContinuity) {
		t.Errorf("CheckContinuity = %v", err)
	}
}

// A pending entry does not count in the booked balances; a reversal counts in its own direction.
func TestRunningBookedOnly(t *testing.T) {
	var r Running
	r.Add(&Entry{AmountCents: 100, CreditDebit: Credit, Status: "BOOK"})
	r.Add(&Entry{AmountCents: 40, CreditDebit: Debit, Status: "BOOK", Reversal: true})
	r.Add(&Entry{AmountCents: 999, CreditDebit: Credit, Status: "PDNG"})
	if r.Entries != 2 || r.Cents != 60 {
		t.Errorf("running %+v", r)
	}
}

const twoStatements = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt>
<GrpHdr><MsgId>M2</MsgId><CreDtTm>2026-12-03T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S234</Id><ElctrncSeqNb>234</ElctrncSeqNb><Acct><Id><IBAN>BE68539007547034</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">98207.94</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">98207.94</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>
</Stmt>
<Stmt><Id>S235</Id><ElctrncSeqNb>235</ElctrncSeqNb><Acct><Id><IBAN>BE68539007547034</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">98207.94</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1792.06</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-12-03</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">100000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-12-03T10:00:00+01:00</DtTm></BookgDt><BkTxCd><Prtry><Cd>REV</Cd></Prtry></BkTxCd></Ntry>
<Ntry><Amt Ccy="EUR">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><BkTxCd/></Ntry>
</Stmt>
</BkToCstmrStmt>
</Document>
`

func TestSeveralStatements(t *testing.T) {
	sts, es, err := readAll(t, []byte(twoStatements))
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || len(es[0]) != 0 || len(es[1]) != 2 {
		t.Fatalf("statements %d, entries %d/%d", len(sts), len(es[0]), len(es[1]))
	}
	if sts[0].Opening.AmountCents != 9820794 || sts[1].Closing.AmountCents != -179206 || sts[1].MessageID != "M2" {
		t.Errorf("balances %+v %+v", sts[0], sts[1])
	}
	e := es[1][0]
	if !e.Reversal || e.BookingDate != civil.MustNew(2026, 12, 3) || e.BankTransactionCode != "REV" || e.Signed() != -10000000 {
		t.Errorf("reversal %+v", e)
	}
	if es[1][1].AmountCents != 500 || es[1][1].Booked() {
		t.Errorf("pending %+v", es[1][1])
	}
	for i, st := range sts {
		var r Running
		for _, e := range es[i] {
			r.Add(e)
		}
		if err := CheckContinuity(st, r); err != nil {
			t.Errorf("statement %d: %v", i, err)
		}
	}
	if err := CheckSequence(sts[0], sts[1]); err != nil {
		t.Error(err)
	}
	if err := CheckSequence(sts[1], sts[0]); !errors.Is(err, ErrSequence) {
		t.Errorf("backwards sequence: %v", err)
	}
	gap := *sts[1]
	gap.ElectronicSequence = 236
	if err := CheckSequence(sts[0], &gap); !errors.Is(err, ErrSequence) {
		t.Errorf("gap: %v", err)
	}
	moved := *sts[1]
	moved.Opening.AmountCents++
	if err := CheckSequence(sts[0], &moved); !errors.Is(err, ErrSequence) {
		t.Errorf("opening moved: %v", err)
	}
}

// NextStatement without reading the entries skips them.
func TestSkipEntries(t *testing.T) {
	p := NewParser(strings.NewReader(twoStatements))
	a, err := p.NextStatement()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.NextStatement()
	if err != nil || a.ID != "S234" || b.ID != "S235" {
		t.Fatalf("%v %v %v", a, b, err)
	}
	if _, err := p.NextStatement(); err != io.EOF {
		t.Errorf("third statement: %v", err)
	}
	if _, err := p.NextEntry(); err != io.EOF {
		t.Errorf("entry after the end: %v", err)
	}
}

func TestParseCents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 100, true}, {"1.5", 150, true}, {"1.05", 105, true}, {"1234567.89", 123456789, true},
		{"1.50000", 150, true}, {" 2.00 ", 200, true},
		{"1.001", 0, false}, {"-1.00", 0, false}, {"1,00", 0, false}, {".5", 0, false}, {"1.000000", 0, false},
		{"", 0, false}, {"1e3", 0, false}, {"9999999999999999", 0, false},
	} {
		got, err := parseCents(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCents(%q) = %d, %v", tc.in, got, err)
		}
	}
}

// FuzzParser: whatever the bytes, the parser neither panics nor loops, and each error it returns is a *camt.Error.
func FuzzParser(f *testing.F) {
	f.Add(fixture(f, "statement-v08.xml"))
	f.Add(fixture(f, "statement-v02.xml"))
	f.Add([]byte(twoStatements))
	f.Add([]byte("<!DOCTYPE x><Document/>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, _, err := readAll(t, doc)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *camt.Error", err, err)
			}
		}
	})
}
