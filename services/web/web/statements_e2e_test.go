package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
)

// statementXML is a camt.053.001.08 of the CPAS's account: the payment e2e of cents booked on its own line, and
// the bank's fees (7,50 €), unrelated to any payment.
func statementXML(e2e string, cents int64, seq int) []byte {
	euro := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	open, fees := int64(10_000_000), int64(750)
	today := civil.Today()
	entry := func(ref, amount, details string) string {
		return `<Ntry><NtryRef>` + ref + `</NtryRef><Amt Ccy="EUR">` + amount + `</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>` +
			`<BookgDt><Dt>` + today.String() + `</Dt></BookgDt><ValDt><Dt>` + today.String() + `</Dt></ValDt><AcctSvcrRef>` + ref + `</AcctSvcrRef>` +
			`<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>` + details + "</Ntry>\n"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>BANK-` + fmt.Sprint(seq) + `</MsgId><CreDtTm>` + today.String() + `T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-` + fmt.Sprint(seq) + `</Id><ElctrncSeqNb>` + fmt.Sprint(seq) + `</ElctrncSeqNb><Acct><Id><IBAN>BE21001234567803</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + today.AddDays(-1).String() + `</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open-cents-fees) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + today.String() + `</Dt></Dt></Bal>
` + entry("P1", euro(cents), `<NtryDtls><TxDtls><Refs><EndToEndId>`+e2e+`</EndToEndId></Refs><Amt Ccy="EUR">`+euro(cents)+`</Amt><CdtDbtInd>DBIT</CdtDbtInd>`+
		`<RltdPties><Cdtr><Pty><Nm>Amelie Dubois</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls>`) +
		entry("F1", euro(fees), `<AddtlNtryInf>Frais de gestion</AddtlNtryInf>`) + `</Stmt></BkToCstmrStmt></Document>
`)
}

var e2eRe = regexp.MustCompile(`E2E-P[0-9]{4}-[0-9]{6}-[0-9]{6}`)

// TestEndToEndStatements drives the statement pages against the real identity and payments services: after a
// run is exported, the accountant uploads the bank's camt.053 (multipart, streamed through), lands on the
// statement's report (one payment booked, one line to match), uploads it again ("already imported"), sees a file
// with a DOCTYPE refused with its line, explains the bank's fees in the reconciliation queue (version shown); a
// social worker has no statement page.
func TestEndToEndStatements(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	e2e := exportedRun(t, papp, hs.URL)
	acc := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	file := statementXML(e2e, 131420, 12)

	acc.get("/")
	acc.expect(http.StatusOK, `href="/payments/statements"`, `href="/payments/reconciliation"`)
	acc.get("/payments/statements")
	acc.expect(http.StatusOK, "Relevés bancaires", "data-upload", "/static/statements.js", `<progress id="upload-progress"`, "Aucun relevé importé.")
	key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(acc.body)[1]
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", key}, {"format", "auto"}}, "releve-12.xml", file)
	acc.expect(http.StatusOK, "Le relevé est importé et rapproché.", "Relevé STMT-12", "Paiements comptabilisés", "Lignes à rapprocher à la main",
		"BE21001234567803", "camt.053.001.08")
	if !strings.HasPrefix(acc.res.Request.URL.Path, "/payments/statements/") {
		t.Fatalf("not on the statement's page: %s", acc.res.Request.URL)
	}

	acc.get("/payments/statements")
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "camt.053"}}, "releve-12.xml", file)
	acc.expect(http.StatusOK, "Ce relevé était déjà importé : rien n&#39;a changé.")

	acc.get("/payments/statements")
	bad := strings.Replace(string(statementXML(e2e, 131420, 13)), "<Document", "<!DOCTYPE Document [<!ENTITY x \"y\">]>\n<Document", 1)
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "auto"}}, "bad.xml", []byte(bad))
	acc.expect(http.StatusUnprocessableEntity, "Ligne 2", "DOCTYPE")
	acc.get("/payments/statements")
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "auto"}}, "", nil)
	acc.expect(http.StatusUnprocessableEntity, "Choisissez le fichier du relevé.")

	acc.get("/payments/reconciliation")
	acc.expect(http.StatusOK, "Rapprochement", "7,50 €", "aucune référence à un paiement du CPAS", "1 ligne(s)")
	item := regexp.MustCompile(`href="(/payments/reconciliation/[0-9a-f-]{36})"`).FindStringSubmatch(acc.body)
	if item == nil {
		t.Fatalf("no queued line\n%s", acc.body)
	}
	acc.get(item[1])
	acc.expect(http.StatusOK, "Ligne de relevé à rapprocher", "Aucun paiement envoyé du même montant.", "Ce n&#39;est pas un paiement")
	v := versionRe.FindStringSubmatch(acc.body)
	acc.post(item[1]+"/match", url.Values{"version": {v[1]}, "kind": {"explained"}, "note": {""}})
	acc.expect(http.StatusUnprocessableEntity, "Expliquez la ligne")
	acc.post(item[1]+"/match", url.Values{"version": {v[1]}, "kind": {"explained"}, "note": {"Frais bancaires du mois"}})
	acc.expect(http.StatusOK, "La ligne est rapprochée.", "Aucune ligne.")

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.expectNot(`href="/payments/statements"`)
	worker.get("/payments/statements")
	worker.expect(http.StatusForbidden)
	worker.get("/payments/reconciliation")
	worker.expect(http.StatusForbidden)
}

// exportedRun feeds the payments service a beneficiary with a RIS decision, then builds, approves (the director)
// and exports the run through the pages; it returns the payment's EndToEndId.
func exportedRun(t *testing.T, papp *payments.App, base string) string {
	t.Helper()
	pw := identity.DemoPassword
	today := civil.Today()
	p, f, d := uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Dubois", "given_names": "Amélie"})
	feedPayments(t, papp, "be.cpas.beneficiaries.bankaccount.changed.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "account_id": uuid.NewString(), "holder": "Amélie Dubois", "old_iban": nil,
		"new_iban": "BE68539007547034", "payee_name": "Amélie Dubois", "effective_at": time.Now().UTC().Format(time.RFC3339)})
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000801", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "ris", "outcome": "granted",
		"monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
		"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})

	acc := newBrowser(t, base).login("demo", "comptable", pw)
	acc.get("/payments/runs")
	acc.post("/payments/runs", url.Values{"execution_date": {today.String()}, "kinds": {"ris"}, "idempotency_key": {newIdempotencyKey()}})
	runPath := acc.res.Request.URL.Path
	dir := newBrowser(t, base).login("demo", "directeur", pw)
	dir.get(runPath)
	vm := versionRe.FindStringSubmatch(dir.body)
	keys := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(dir.body)
	dir.post(runPath+"/approval", url.Values{"version": {vm[1]}, "idempotency_key": {keys[1]}})
	dir.post(runPath+"/export", url.Values{"idempotency_key": {newIdempotencyKey()}})
	acc.get(runPath)
	e2e := e2eRe.FindString(acc.body)
	if e2e == "" {
		t.Fatalf("no EndToEndId on the run page\n%s", acc.body)
	}
	return e2e
}
