package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/identity"
)

// creditStatementXML is a camt.053.001.08 of the CPAS's account with one incoming transfer of cents from iban,
// whose structured communication (ogm) names no receivable.
func creditStatementXML(name, iban, ogm string, cents int64, seq int) []byte {
	euro := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	open := int64(10_000_000)
	today := civil.Today().String()
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>BANK-` + fmt.Sprint(seq) + `</MsgId><CreDtTm>` + today + `T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-` + fmt.Sprint(seq) + `</Id><ElctrncSeqNb>` + fmt.Sprint(seq) + `</ElctrncSeqNb><Acct><Id><IBAN>BE21001234567803</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + civil.Today().AddDays(-1).String() + `</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open+cents) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + today + `</Dt></Dt></Bal>
<Ntry><NtryRef>C1</NtryRef><Amt Ccy="EUR">` + euro(cents) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>` +
		`<BookgDt><Dt>` + today + `</Dt></BookgDt><ValDt><Dt>` + today + `</Dt></ValDt><AcctSvcrRef>C1</AcctSvcrRef>` +
		`<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>` +
		`<Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="EUR">` + euro(cents) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd>` +
		`<RltdPties><Dbtr><Pty><Nm>` + name + `</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>` + iban + `</IBAN></Id></DbtrAcct></RltdPties>` +
		`<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp><Ref>` + ogm + `</Ref></CdtrRefInf></Strd></RmtInf>` +
		`</TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
`)
}

// TestEndToEndMatchCreditToReceivable drives the manual match of a credit to a receivable through the pages,
// against the real identity and payments services: two receivables of a beneficiary (250 € and 40 €); the bank's
// statement brings 250 € from an account the registry does not know, with a communication no receivable has: the
// line goes to the queue. Its page offers the 250 € receivable (same amount) with its structured communication;
// the 40 € one typed in by its id or by its structured communication is refused next to the field (above the
// balance: never forced), an empty field, a malformed or unknown structured communication too (French, Dutch);
// the suggested receivable typed in by its structured communication: the line is matched, the receivable settled
// with a manual payment; the suggestion's button sent again: 409.
func TestEndToEndMatchCreditToReceivable(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	today := civil.Today()
	p, f, d := uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Dubois", "given_names": "Amélie"})
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000803", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "ris", "outcome": "granted",
		"monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
		"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})
	small := uuid.NewString()
	for _, rc := range []struct {
		id    string
		cents int
	}{{uuid.NewString(), 25000}, {small, 4000}} {
		feedPayments(t, papp, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", d, map[string]any{
			"recovery_id": rc.id, "decision_id": d, "person_id": p, "file_id": f, "kind": "ris", "case": "false_declaration",
			"amount_cents": rc.cents, "period_from": "2026-01-01", "period_to": "2026-01-31", "decided_on": today.String()})
	}
	if err := papp.Receivables.Sync(context.Background(), "demo", d); err != nil {
		t.Fatal(err)
	}

	acc := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	acc.get("/payments/statements")
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "auto"}}, "releve-60.xml",
		creditStatementXML("Marc Dubois", "BE62510007547061", "123456789002", 25000, 60))
	acc.expect(http.StatusOK, "Le relevé est importé et rapproché.")
	acc.get("/payments/reconciliation")
	acc.expect(http.StatusOK, "250,00 €", "aucune créance correspondante")
	item := regexp.MustCompile(`href="(/payments/reconciliation/[0-9a-f-]{36})"`).FindStringSubmatch(acc.body)
	if item == nil {
		t.Fatalf("no queued line\n%s", acc.body)
	}
	acc.get(item[1])
	acc.expect(http.StatusOK, "Le remboursement d&#39;une créance", "Amélie Dubois", "2026/000803", "000/0000/00", "solde égal au montant",
		"Imputer sur cette créance", `name="receivable_id"`, `name="kind" value="receivable"`)
	acc.expectNot("4.000,00 €", "40,00 €") // the small receivable is not offered
	v := versionRe.FindStringSubmatch(acc.body)[1]
	suggested := regexp.MustCompile(`name="receivable_id" value="([0-9a-f-]{36})"`).FindStringSubmatch(acc.body)[1]

	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {""}})
	acc.expect(http.StatusUnprocessableEntity, "Indiquez la créance.")
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {small}})
	acc.expect(http.StatusUnprocessableEntity, `id="f-receivable_id-error"`, "Le montant de la ligne dépasse le solde dû de cette créance.", `value="`+small+`"`)
	// By its structured communication, as the accountant knows it: malformed, unknown, the small one (above its
	// balance) — each refusal next to the field, what was typed kept.
	ogmOf := func(id string) string {
		rc, err := papp.Receivables.Repo.Load(context.Background(), "demo", id)
		if err != nil {
			t.Fatal(err)
		}
		return ogm.MustParse(rc.State.OGM).Format()
	}
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {"+++000/0000/10102+++"}})
	acc.expect(http.StatusUnprocessableEntity, `id="f-receivable_id-error"`, "Communication structurée invalide",
		`value="&#43;&#43;&#43;000/0000/10102&#43;&#43;&#43;"`)
	unused, _ := ogm.FromSequence(987654)
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {unused.Format()}})
	acc.expect(http.StatusUnprocessableEntity, `id="f-receivable_id-error"`, "Aucune créance n&#39;a cette communication structurée.")
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {ogmOf(small)}})
	acc.expect(http.StatusUnprocessableEntity, `id="f-receivable_id-error"`, "Le montant de la ligne dépasse le solde dû de cette créance.")

	acc.get("/lang/nl?return=" + item[1])
	acc.expect(http.StatusOK, "De terugbetaling van een vordering", "Op deze vordering boeken", "saldo gelijk aan het bedrag",
		"haar gestructureerde mededeling")
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {unused.Format()}})
	acc.expect(http.StatusUnprocessableEntity, "Geen enkele vordering heeft deze gestructureerde mededeling.")
	acc.get("/lang/fr?return=" + item[1])

	// The suggested receivable typed in by its structured communication.
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {" " + ogmOf(suggested) + " "}})
	acc.expect(http.StatusOK, "La ligne est rapprochée.")
	// The same form again: the line is matched already, nothing booked twice.
	acc.get(item[1])
	acc.expect(http.StatusOK, "imputée sur une créance", "voir la créance")
	acc.expectNot("Imputer sur cette créance")
	acc.post(item[1]+"/match", url.Values{"version": {v}, "kind": {"receivable"}, "receivable_id": {suggested}})
	acc.expect(http.StatusConflict)
	rc, err := papp.Receivables.Repo.Load(context.Background(), "demo", suggested)
	if err != nil || len(rc.State.Payments) != 1 || rc.State.Status != "settled" {
		t.Fatalf("receivable %v %+v", err, rc.State)
	}
	acc.get("/payments/recoveries/" + suggested)
	acc.expect(http.StatusOK, "rapprochement manuel", "250,00 €")
	if n, _ := papp.Receivables.Repo.Collection().CountDocuments(context.Background(), bson.D{{Key: "payments.matched_by", Value: "manual"}}); n != 1 {
		t.Fatalf("%d receivables with a manual payment", n)
	}
}
