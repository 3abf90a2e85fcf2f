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

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/identity"
)

// returnStatementXML is a camt.053.001.08 of the CPAS's account: the payment e2e of cents to iban booked, then
// returned by the payee's bank (AC04, account closed).
func returnStatementXML(e2e, name, iban string, cents int64, seq int) []byte {
	euro := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	open := int64(10_000_000)
	today := civil.Today().String()
	entry := func(ref, dir, family, details string) string {
		return `<Ntry><NtryRef>` + ref + `</NtryRef><Amt Ccy="EUR">` + euro(cents) + `</Amt><CdtDbtInd>` + dir + `</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>` +
			`<BookgDt><Dt>` + today + `</Dt></BookgDt><ValDt><Dt>` + today + `</Dt></ValDt><AcctSvcrRef>` + ref + `</AcctSvcrRef>` +
			`<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>` + family + `</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>` +
			`<Refs><EndToEndId>` + e2e + `</EndToEndId></Refs><Amt Ccy="EUR">` + euro(cents) + `</Amt><CdtDbtInd>` + dir + `</CdtDbtInd>` +
			`<RltdPties><Cdtr><Pty><Nm>` + name + `</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>` + iban + `</IBAN></Id></CdtrAcct></RltdPties>` +
			details + "</TxDtls></NtryDtls></Ntry>\n"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>BANK-` + fmt.Sprint(seq) + `</MsgId><CreDtTm>` + today + `T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-` + fmt.Sprint(seq) + `</Id><ElctrncSeqNb>` + fmt.Sprint(seq) + `</ElctrncSeqNb><Acct><Id><IBAN>BE21001234567803</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + civil.Today().AddDays(-1).String() + `</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + euro(open) + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + today + `</Dt></Dt></Bal>
` + entry("P1", "DBIT", "ESCT", "") + entry("R1", "CRDT", "RRTN", `<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>`) + `</Stmt></BkToCstmrStmt></Document>
`)
}

var instalmentLinkRe = regexp.MustCompile(`href="(/payments/instalments/[0-9a-f-]{36})"`)

// exportAndReturn exports the day's run of aide_sociale payments through the pages (the accountant builds it, the
// director approves and exports it), then the accountant imports the bank's statement (sequence seq) that books
// and returns (AC04) the payment of cents to name's iban; it returns the accountant's session, the run's page and
// the returned EndToEndId.
func exportAndReturn(t *testing.T, base, name, iban string, cents int64, seq int) (*browser, string, string) {
	t.Helper()
	pw := identity.DemoPassword
	acc := newBrowser(t, base).login("demo", "comptable", pw)
	acc.get("/payments/runs")
	acc.post("/payments/runs", url.Values{"execution_date": {civil.Today().String()}, "kinds": {"aide_sociale"},
		"idempotency_key": {newIdempotencyKey()}})
	runPath := acc.res.Request.URL.Path
	dir := newBrowser(t, base).login("demo", "directeur", pw)
	dir.get(runPath)
	keys := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(dir.body)
	dir.post(runPath+"/approval", url.Values{"version": {versionRe.FindStringSubmatch(dir.body)[1]}, "idempotency_key": {keys[1]}})
	dir.post(runPath+"/export", url.Values{"idempotency_key": {newIdempotencyKey()}})
	acc.get(runPath)
	e2e := e2eRe.FindString(acc.body)
	if e2e == "" {
		t.Fatalf("no EndToEndId on the run page\n%s", acc.body)
	}
	acc.get("/payments/statements")
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "auto"}},
		fmt.Sprintf("releve-%d.xml", seq), returnStatementXML(e2e, name, iban, cents, seq))
	acc.expect(http.StatusOK, "Le relevé est importé et rapproché.")
	return acc, runPath, e2e
}

// TestEndToEndReissue drives the reissue of a returned payment through the pages, against the real identity and
// payments services: a landlord's rent guarantee (a third party with its structured communication) is exported,
// the bank's statement returns it (AC04); the accountant finds it among the returned payments, opens it (its run,
// the return), reissues it with a wrong IBAN (the field error in French, the form kept), then with the corrected
// IBAN (CSRF, Idempotency-Key and version in hidden fields), "for the decision's later payments too" (checked by
// default; the decision's schedule records the correction): the payment is due again with the new account; the
// same form sent twice reissues once, an old version is refused; the page in Dutch; a social worker has no such
// page.
func TestEndToEndReissue(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	today := civil.Today()
	p, f, d := uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Benali", "given_names": "Yasmine"})
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000802", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "aide_sociale", "subtype": "rent_guarantee",
		"outcome": "granted", "monthly_cents": 0, "first_month_cents": 0, "one_off_cents": 180000, "periodicity": "once", "piis": false,
		"payee":      map[string]any{"kind": "third_party", "name": "Immo Clémenceau SRL", "iban": "BE05068123456775", "communication": "123456789002"},
		"decided_on": today.String()})

	acc, runPath, e2e := exportAndReturn(t, hs.URL, "Immo Clemenceau SRL", "BE05068123456775", 180000, 40)

	// The run page links the payment, now returned.
	acc.get(runPath)
	acc.expect(http.StatusOK, ">Retourné</a>")
	acc.get("/payments?status=returned")
	acc.expect(http.StatusOK, "Retourné par la banque (AC04)", "Immo Clémenceau SRL", "1.800,00 €")
	link := instalmentLinkRe.FindStringSubmatch(acc.body)
	if link == nil {
		t.Fatalf("no link to the returned payment\n%s", acc.body)
	}
	page := link[1]
	acc.get(page)
	acc.expect(http.StatusOK, "Paiement de 1.800,00 €", "Retourné", e2e, "Réémettre le paiement", "BE05068123456775",
		`name="idempotency_key"`, `name="version"`, `name="csrf"`, `value="&#43;&#43;&#43;123/4567/89002&#43;&#43;&#43;"`, `value="Immo Clémenceau SRL"`,
		`name="apply_to_decision" value="on" checked`, `<label for="f-apply_to_decision">Appliquer aussi aux paiements suivants de cette décision</label>`)
	v := versionRe.FindStringSubmatch(acc.body)[1]
	key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(acc.body)[1]

	// A wrong IBAN: the service's message next to the field, what was typed kept.
	acc.post(page+"/reissue", url.Values{"version": {v}, "idempotency_key": {key}, "payee_kind": {"third_party"},
		"name": {"Immo Clémenceau SRL"}, "iban": {"BE62 5100 0754 7062"}, "bic": {""}, "communication": {"+++123/4567/89002+++"}})
	acc.expect(http.StatusUnprocessableEntity, `id="f-iban-error"`, "Numéro de compte IBAN invalide", `value="BE62 5100 0754 7062"`)
	acc.expectNot(`name="apply_to_decision" value="on" checked`) // left unchecked in the form sent: kept so
	// Without the CSRF token: refused.
	acc.post(page+"/reissue", url.Values{CSRFField: {"x"}, "version": {v}, "idempotency_key": {newIdempotencyKey()}, "payee_kind": {"third_party"},
		"name": {"Immo Clémenceau SRL"}, "iban": {"BE62510007547061"}})
	acc.expect(http.StatusForbidden)

	acc.get(page)
	key = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(acc.body)[1]
	good := url.Values{"version": {v}, "idempotency_key": {key}, "payee_kind": {"third_party"}, "name": {"Immo Clémenceau SRL"},
		"iban": {"BE62 5100 0754 7061"}, "bic": {"GKCCBEBB"}, "communication": {"+++123/4567/89002+++"}, "apply_to_decision": {"on"}}
	acc.post(page+"/reissue", good)
	acc.expect(http.StatusOK, "Le paiement est réémis, et les paiements suivants de la décision iront au bénéficiaire corrigé.",
		"BE62510007547061", "GKCCBEBB", "Réémissions", "aussi pour les paiements suivants de la décision")
	acc.expectNot("Réémettre le paiement")
	// The same form again (a double click, a reload): the first answer, one reissue.
	good.Set(CSRFField, acc.csrf())
	acc.post(page+"/reissue", good)
	acc.expect(http.StatusOK, "Le paiement est réémis")
	id := page[len("/payments/instalments/"):]
	in, err := papp.Schedules.Repo.Instalments.Load(context.Background(), "demo", id)
	if err != nil || len(in.State.Reissues) != 1 || in.State.Status != "scheduled" || in.State.Payee.IBAN != "BE62510007547061" {
		t.Fatalf("after two submissions: %v %+v", err, in.State)
	}
	sc, err := papp.Schedules.Repo.Schedules.Load(context.Background(), "demo", d)
	if err != nil || len(sc.State.PayeeCorrections) != 1 || sc.State.PayeeCorrections[0].IBAN != "BE62510007547061" {
		t.Fatalf("the decision's schedule after the reissue: %v %+v", err, sc.State.PayeeCorrections)
	}
	// The page shown before, sent again with a new key: the version moved.
	good.Set("idempotency_key", newIdempotencyKey())
	acc.post(page+"/reissue", good)
	acc.expect(http.StatusPreconditionFailed, "Le paiement a changé entre-temps")
	acc.get("/payments")
	acc.expect(http.StatusOK, "Immo Clémenceau SRL", "1.800,00 €")

	acc.get("/lang/nl?return=" + page)
	acc.expect(http.StatusOK, "Betaling van 1.800,00 €", "Heruitvoeringen", "Teruggestort door de bank (AC04)",
		"ook voor de volgende betalingen van de beslissing")

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.get(page)
	worker.expect(http.StatusForbidden)
}
