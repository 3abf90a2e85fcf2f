package letter

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/net/html"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var day = civil.MustParse

func cpas() CPAS {
	return CPAS{Name: "CPAS de Saint-Gilles", Address: Address{"Rue Fernand Bernier 40", "1060", "Saint-Gilles"},
		EnterpriseNumber: "0212.345.678", Service: "Service social général", Phone: "02 600 54 11"}
}

func court(lang Lang) LabourCourt {
	c, _ := CourtByID("bruxelles_fr")
	if lang == NL {
		c, _ = CourtByID("brussel_nl")
	}
	return c.LabourCourt(lang, "", Address{"Boulevard de Waterloo 70", "1000", "Bruxelles"})
}

// workedExample is domain.md's worked example, from 11 February 2025 (a prorated first month).
func workedExample(t *testing.T) ris.Result {
	t.Helper()
	r, err := ris.DefaultCalculator().Calculate(ris.Input{Category: ris.Cohabitant, From: day("2025-02-11"),
		Resources: []ris.Resource{{Kind: ris.ReplacementIncome, Period: ris.Yearly, Amount: 360000, Whose: ris.Applicant}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Monthly != 58905 {
		t.Fatalf("worked example: monthly %d", r.Monthly)
	}
	return r
}

// decision is a complete decision of the given outcome, in lang.
func decision(t *testing.T, lang Lang, outcome Outcome) Decision {
	r := workedExample(t)
	d := Decision{
		CPAS: cpas(), Court: court(lang),
		Beneficiary:   Beneficiary{Name: "Chloë Lefèvre", Address: Address{"Rue de la Source 12", "1060", "Saint-Gilles"}, Lang: lang},
		FileReference: "2026/000123", SocialWorker: "Julie Martens",
		Outcome: outcome, Kind: legalclock.RIS, Requested: day("2025-02-11"),
		Decided: day("2025-03-05"), Notified: day("2025-03-07"),
	}
	if lang == NL {
		d.LegalBasis = "Artikelen 3, 14 en 16 van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie."
		d.Conditions = []Condition{
			{Text: "Werkelijk verblijf in België", Met: true, Note: "huisbezoek van 20 februari 2025"},
			{Text: "Ontoereikende bestaansmiddelen", Met: outcome != Refused},
		}
		d.CategoryJustification = "u woont samen met uw broer, die meerderjarig is."
	} else {
		d.LegalBasis = "Articles 3, 14 et 16 de la loi du 26 mai 2002 concernant le droit à l'intégration sociale."
		d.Conditions = []Condition{
			{Text: "Résidence effective en Belgique", Met: true, Note: "visite à domicile du 20 février 2025"},
			{Text: "Ressources insuffisantes", Met: outcome != Refused},
		}
		d.CategoryJustification = "vous partagez le logement avec votre frère majeur."
	}
	switch outcome {
	case Refused:
		d.Motivation = pick(lang, "Vos ressources dépassent le montant de la catégorie.", "Uw bestaansmiddelen overschrijden het bedrag van de categorie.")
	case PartiallyGranted:
		d.Motivation = pick(lang, "La période antérieure au 11 février 2025 est refusée.", "De periode voor 11 februari 2025 wordt geweigerd.")
		fallthrough
	default:
		d.Category, d.Monthly, d.FirstMonth = ris.Cohabitant, r.Monthly, r.FirstMonth
		d.Start, d.Review, d.Paid, d.Working = day("2025-02-11"), day("2026-02-10"), PaidMonthly, r.Working
	}
	return d
}

// text returns the visible text of an HTML document, whitespace collapsed, and its <html lang>.
func text(t *testing.T, page []byte) (string, string) {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	lang := ""
	var walk func(n *html.Node, inBody bool)
	walk = func(n *html.Node, inBody bool) {
		if n.Type == html.ElementNode && n.Data == "html" {
			for _, a := range n.Attr {
				if a.Key == "lang" {
					lang = a.Val
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "body" {
			inBody = true
		}
		if n.Type == html.TextNode && inBody {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inBody)
		}
	}
	walk(root, false)
	return strings.Join(strings.Fields(b.String()), " "), lang
}

// voidElements have no end tag.
var voidElements = map[string]bool{"meta": true, "br": true, "link": true, "img": true, "hr": true, "input": true}

// wellFormed checks that every element is closed in order and that the page needs nothing from outside.
func wellFormed(t *testing.T, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			if len(stack) > 0 {
				t.Fatalf("unclosed elements %v", stack)
			}
			return
		case html.StartTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				if a.Key == "src" || (a.Key == "href" && tok.Data == "link") {
					t.Fatalf("external resource %s=%q", a.Key, a.Val)
				}
			}
			if !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			name := z.Token().Data
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func renderHTML(t *testing.T, doc Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := doc.HTML(&b); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.Bytes())
	if !bytes.Contains(b.Bytes(), []byte("@page { size: A4;")) {
		t.Fatal("no A4 print stylesheet")
	}
	return b.Bytes()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)", name)
	}
}

// mentionTexts are the texts that show each mandatory mention in the rendered letter.
func mentionTexts(d Decision) map[Mention][]string {
	lang := d.Beneficiary.Lang
	m := map[Mention][]string{
		MentionFactualGrounds:   {d.Conditions[0].Text, d.Conditions[0].Note, pick(lang, "remplie", "vervuld")},
		MentionLegalGrounds:     {d.LegalBasis},
		MentionCourtName:        {d.Court.Name},
		MentionCourtAddress:     {"Boulevard de Waterloo 70", "1000 Bruxelles"},
		MentionAppealDeadline:   {pick(lang, "dans un délai de trois mois à compter de sa notification", "binnen een termijn van drie maanden vanaf de kennisgeving"), pick(lang, "expire le 10 juin 2025", "verstrijkt op 10 juni 2025")},
		MentionAppealFree:       {pick(lang, "Le recours est gratuit.", "Het beroep is kosteloos.")},
		MentionAppealSuspensive: {pick(lang, "Le recours n'est pas suspensif", "Het beroep is niet opschortend")},
		MentionFileReference:    {"2026/000123"},
		MentionService:          {"Service social général"},
		MentionSocialWorker:     {"Julie Martens"},
		MentionSender:           {"CPAS de Saint-Gilles", "Rue Fernand Bernier 40"},
		MentionAddressee:        {"Chloë Lefèvre", "Rue de la Source 12"},
		MentionDecisionDate:     {pick(lang, "a décidé le 5 mars 2025", "op 5 maart 2025 beslist")},
		MentionKind:             {pick(lang, "revenu d'intégration sociale", "leefloon")},
	}
	switch d.Outcome {
	case Granted:
		m[MentionOutcome] = []string{pick(lang, "de vous accorder l'aide demandée (revenu d'intégration sociale).", "de gevraagde hulp (leefloon) toe te kennen.")}
	case PartiallyGranted:
		m[MentionOutcome] = []string{pick(lang, "de vous accorder partiellement l'aide demandée", "de gevraagde hulp (leefloon) gedeeltelijk toe te kennen")}
	case Refused:
		m[MentionOutcome] = []string{pick(lang, "de refuser l'aide demandée", "de gevraagde hulp (leefloon) te weigeren")}
		m[MentionFactualGrounds] = append(m[MentionFactualGrounds], d.Motivation, pick(lang, "non remplie", "niet vervuld"))
	}
	if d.Outcome != Refused {
		m[MentionCategory] = []string{pick(lang, "Catégorie : 1 (cohabitant)", "Categorie: 1 (samenwonende)"), d.CategoryJustification}
		m[MentionAmount] = []string{pick(lang, "Montant mensuel 589,05 €", "Maandelijks bedrag € 589,05"), pick(lang, "Premier mois, au prorata à partir du 11 février 2025 378,68 €", "Eerste maand, pro rata vanaf 11 februari 2025 € 378,68")}
		m[MentionResourceCalc] = []string{d.Working[1].Text(string(lang)), pick(lang, "Calcul de vos ressources", "Berekening van uw bestaansmiddelen")}
		m[MentionPeriodicity] = []string{pick(lang, "Périodicité du paiement : mensuelle", "Betalingsfrequentie: maandelijks")}
		m[MentionPeriod] = []string{pick(lang, "Période : à partir du 11 février 2025", "Periode: vanaf 11 februari 2025"), pick(lang, "10 février 2026", "10 februari 2026")}
	}
	if d.Outcome == PartiallyGranted {
		m[MentionFactualGrounds] = append(m[MentionFactualGrounds], d.Motivation)
	}
	return m
}

func TestDecisionLetterMentions(t *testing.T) {
	for _, lang := range Langs {
		for _, outcome := range []Outcome{Granted, Refused, PartiallyGranted} {
			name := string(lang) + "_" + string(outcome)
			t.Run(name, func(t *testing.T) {
				d := decision(t, lang, outcome)
				if missing := CheckMentions(d); len(missing) > 0 {
					t.Fatalf("complete decision reported missing %v", missing)
				}
				doc, err := DecisionLetter(d)
				if err != nil {
					t.Fatal(err)
				}
				page := renderHTML(t, doc)
				got, htmlLang := text(t, page)
				if htmlLang != string(lang) {
					t.Errorf("html lang %q, want %q", htmlLang, lang)
				}
				for mention, texts := range mentionTexts(d) {
					for _, want := range texts {
						if !strings.Contains(got, want) {
							t.Errorf("mention %s: %q not in the letter", mention, want)
						}
					}
				}
				if outcome == Refused && strings.Contains(got, "589,05") {
					t.Error("a refusal prints an amount")
				}
				golden(t, "decision_"+name+".html", page)
			})
		}
	}
}

func TestDecisionLetterRefusesMissingMention(t *testing.T) {
	tests := []struct {
		mention Mention
		outcome Outcome
		change  func(*Decision)
	}{
		{MentionFactualGrounds, Granted, func(d *Decision) { d.Conditions, d.Motivation = nil, " " }},
		{MentionFactualGrounds, Refused, func(d *Decision) { d.Conditions, d.Motivation = nil, "" }},
		{MentionLegalGrounds, Granted, func(d *Decision) { d.LegalBasis = "" }},
		{MentionLegalGrounds, Refused, func(d *Decision) { d.LegalBasis = "\t" }},
		{MentionCategory, Granted, func(d *Decision) { d.Category = 0 }},
		{MentionCategory, PartiallyGranted, func(d *Decision) { d.CategoryJustification = "" }},
		{MentionAmount, Granted, func(d *Decision) { d.Monthly = 0 }},
		{MentionAmount, PartiallyGranted, func(d *Decision) { d.Paid = PaidOnce }},
		{MentionResourceCalc, Granted, func(d *Decision) { d.Working = nil }},
		{MentionPeriodicity, Granted, func(d *Decision) { d.Paid = "weekly" }},
		{MentionPeriod, Granted, func(d *Decision) { d.Start = civil.Date{} }},
		{MentionPeriod, Granted, func(d *Decision) { d.Review = civil.Date{} }},
		{MentionCourtName, Granted, func(d *Decision) { d.Court.Name = "" }},
		{MentionCourtName, Refused, func(d *Decision) { d.Court.Name = " " }},
		{MentionCourtAddress, Granted, func(d *Decision) { d.Court.Address = Address{} }},
		{MentionCourtAddress, Refused, func(d *Decision) { d.Court.Address.PostalCode = "" }},
		{MentionFileReference, Refused, func(d *Decision) { d.FileReference = "" }},
		{MentionService, Granted, func(d *Decision) { d.CPAS.Service = "" }},
		{MentionSocialWorker, Refused, func(d *Decision) { d.SocialWorker = "" }},
		{MentionSender, Granted, func(d *Decision) { d.CPAS.Name = "" }},
		{MentionAddressee, Granted, func(d *Decision) { d.Beneficiary.Address.City = "" }},
		{MentionDecisionDate, Granted, func(d *Decision) { d.Decided = civil.Date{} }},
		{MentionOutcome, Granted, func(d *Decision) { d.Outcome = "approved" }},
		{MentionKind, Granted, func(d *Decision) { d.Kind = "loan" }},
		{MentionKind, Refused, func(d *Decision) { d.Kind, d.Subtype = legalclock.AideSociale, "" }},
	}
	for _, lang := range Langs {
		for _, tt := range tests {
			t.Run(string(lang)+"_"+string(tt.outcome)+"_"+string(tt.mention), func(t *testing.T) {
				d := decision(t, lang, tt.outcome)
				tt.change(&d)
				missing := CheckMentions(d)
				if len(missing) != 1 || missing[0].Mention != tt.mention {
					t.Fatalf("CheckMentions = %v, want only %s", missing, tt.mention)
				}
				doc, err := DecisionLetter(d)
				if !errors.Is(err, ErrMissingMentions) {
					t.Fatalf("DecisionLetter error %v, want ErrMissingMentions", err)
				}
				var mm *MissingMentionsError
				if !errors.As(err, &mm) || len(mm.Missing) != 1 || mm.Missing[0].Mention != tt.mention {
					t.Fatalf("error %v does not name %s", err, tt.mention)
				}
				if !strings.Contains(err.Error(), string(tt.mention)) {
					t.Fatalf("error text %q does not name %s", err, tt.mention)
				}
				if len(doc.Sections) > 0 {
					t.Fatal("a document was built")
				}
			})
		}
	}
}

func TestMissingMentionsErrorHasNoPersonalData(t *testing.T) {
	d := decision(t, FR, Granted)
	d.LegalBasis, d.Court.Address = "", Address{}
	_, err := DecisionLetter(d)
	for _, secret := range []string{d.Beneficiary.Name, d.FileReference, d.SocialWorker, d.Beneficiary.Address.Street} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	if got := len(CheckMentions(d)); got != 2 {
		t.Errorf("%d missing, want 2", got)
	}
}

func TestDecisionLetterKinds(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Decision)
		want   []string
		absent []string
	}{
		{"rent guarantee once", func(d *Decision) {
			d.Kind, d.Subtype, d.Category, d.CategoryJustification, d.Working = legalclock.AideSociale, RentGuarantee, 0, "", nil
			d.Monthly, d.FirstMonth, d.OneOff, d.Paid, d.Review = 0, 0, 120000, PaidOnce, civil.Date{}
		}, []string{"aide sociale (garantie locative)", "Montant (paiement unique) 1.200,00 €", "paiement unique", "Date d'octroi : 11 février 2025", "article 71 de la loi organique"},
			[]string{"Catégorie", "mensuel"}},
		{"amu", func(d *Decision) {
			d.Kind, d.Category, d.CategoryJustification, d.Working, d.Monthly, d.FirstMonth, d.Paid = legalclock.AMU, 0, "", nil, 0, 0, ""
			d.End = day("2025-08-10")
		}, []string{"aide médicale urgente", "aucun montant ne vous est versé", "Période : du 11 février 2025 au 10 août 2025"},
			[]string{"589,05", "Périodicité"}},
		{"eris without working", func(d *Decision) {
			d.Kind, d.Category, d.CategoryJustification, d.Working = legalclock.ERIS, 0, "", nil
		}, []string{"aide sociale équivalente au revenu d'intégration", "Montant mensuel 589,05 €"},
			[]string{"Calcul de vos ressources"}},
		{"not yet notified", func(d *Decision) { d.Notified = civil.Date{} },
			[]string{"dans un délai de trois mois à compter de sa notification"}, []string{"expire le"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decision(t, FR, Granted)
			tt.change(&d)
			doc, err := DecisionLetter(d)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := text(t, renderHTML(t, doc))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q not in the letter", w)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(got, w) {
					t.Errorf("%q in the letter", w)
				}
			}
		})
	}
}

func TestUnsupportedLanguage(t *testing.T) {
	d := decision(t, FR, Granted)
	d.Beneficiary.Lang = "de"
	if _, err := DecisionLetter(d); !errors.Is(err, ErrLanguage) {
		t.Errorf("decision: %v", err)
	}
	a := acknowledgment(FR)
	a.Applicant.Lang = ""
	if _, err := AcknowledgmentLetter(a); !errors.Is(err, ErrLanguage) {
		t.Errorf("acknowledgment: %v", err)
	}
	h := hearing(FR, true)
	h.Applicant.Lang = "en"
	if _, err := HearingLetter(h); !errors.Is(err, ErrLanguage) {
		t.Errorf("hearing: %v", err)
	}
}

// pdfBytes renders doc uncompressed, checks the header, and returns the bytes.
func pdfBytes(t *testing.T, doc Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := doc.PDF(&b, PDFOptions{Uncompressed: true, Created: time.Date(2025, 3, 5, 10, 0, 0, 0, civil.Brussels)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b.Bytes()[:min(8, b.Len())])
	}
	return b.Bytes()
}

// cp1252 is the code page the PDF's core fonts write.
var cp1252 = fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("cp1252")

func checkPDF(t *testing.T, pdf []byte, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !bytes.Contains(pdf, []byte(cp1252(s))) {
			t.Errorf("%q not in the PDF", s)
		}
	}
	path, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: the extracted-text sub-check is skipped")
		return
	}
	cmd := exec.Command(path, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, s := range texts {
		if !strings.Contains(string(out), s) {
			t.Errorf("pdftotext: %q not in the text", s)
		}
	}
}

func TestDecisionPDF(t *testing.T) {
	if got := cp1252("é è ç ë €"); got != "\xe9 \xe8 \xe7 \xeb \x80" {
		t.Fatalf("cp1252 translation %q", got)
	}
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			d := decision(t, lang, Granted)
			doc, err := DecisionLetter(d)
			if err != nil {
				t.Fatal(err)
			}
			pdf := pdfBytes(t, doc)
			checkPDF(t, pdf, "2026/000123", d.Court.Name, "Boulevard de Waterloo 70", money(58905, lang), "Chloë Lefèvre",
				pick(lang, "Le recours est gratuit.", "Het beroep is kosteloos."))
			if lang == FR {
				checkPDF(t, pdf, "Décision relative", "Périodicité du paiement")
			}
			// The working's minus sign is outside cp1252: it prints as a hyphen, not as the translator's dot.
			minus := pick(lang, "10.513,60 € - 3.445,00 €", "€ 10.513,60 - € 3.445,00")
			if !bytes.Contains(pdf, []byte(cp1252(minus))) {
				t.Errorf("%q not in the PDF", minus)
			}
			var compressed bytes.Buffer
			if err := doc.PDF(&compressed, PDFOptions{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(compressed.Bytes(), []byte("%PDF-")) || compressed.Len() >= len(pdf) {
				t.Errorf("compressed PDF: %d bytes, uncompressed %d", compressed.Len(), len(pdf))
			}
		})
	}
}

func TestPDFIsReproducible(t *testing.T) {
	doc, err := DecisionLetter(decision(t, NL, PartiallyGranted))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := pdfBytes(t, doc), pdfBytes(t, doc); !bytes.Equal(a, b) {
		t.Error("two renderings with the same creation date differ")
	}
}

func acknowledgment(lang Lang) Acknowledgment {
	return Acknowledgment{CPAS: cpas(), Applicant: Beneficiary{Name: "Chloë Lefèvre", Address: Address{"Rue de la Source 12", "1060", "Saint-Gilles"}, Lang: lang},
		Kind: legalclock.RIS, Received: day("2025-03-21"), RegisterNumber: "2025-000417", FileReference: "2026/000123", SocialWorker: "Julie Martens"}
}

func TestAcknowledgment(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			a := acknowledgment(lang)
			due, err := a.Deadline()
			if err != nil {
				t.Fatal(err)
			}
			if due.Due != day("2025-04-22") {
				t.Fatalf("due %s", due.Due)
			}
			doc, err := AcknowledgmentLetter(a)
			if err != nil {
				t.Fatal(err)
			}
			page := renderHTML(t, doc)
			got, htmlLang := text(t, page)
			if htmlLang != string(lang) {
				t.Errorf("lang %q", htmlLang)
			}
			for _, want := range []string{
				due.Text(string(lang)), "2025-000417", "2026/000123", "Julie Martens", "CPAS de Saint-Gilles", "Rue Fernand Bernier 40", "1060 Saint-Gilles",
				pick(lang, "Décision due le 22 avril 2025", "22 april 2025"),
				pick(lang, "Nous avons reçu le 21 mars 2025 votre demande de revenu d'intégration sociale", "Wij hebben op 21 maart 2025 uw aanvraag om leefloon ontvangen"),
				pick(lang, "jusqu'au 22 juillet 2025", "tot 22 juli 2025"),
			} {
				if !strings.Contains(got, want) {
					t.Errorf("%q not in the acknowledgment", want)
				}
			}
			golden(t, "acknowledgment_"+string(lang)+".html", page)
			checkPDF(t, pdfBytes(t, doc), "2026/000123", "2025-000417", pick(lang, "22 avril 2025", "22 april 2025"))
		})
	}
}

func TestAcknowledgmentIncomplete(t *testing.T) {
	tests := []struct {
		field  string
		change func(*Acknowledgment)
	}{
		{"cpas", func(a *Acknowledgment) { a.CPAS.Address = Address{} }},
		{"cpas.service", func(a *Acknowledgment) { a.CPAS.Service = "" }},
		{"applicant", func(a *Acknowledgment) { a.Applicant.Name = "" }},
		{"kind", func(a *Acknowledgment) { a.Kind = legalclock.AideSociale }},
		{"received", func(a *Acknowledgment) { a.Received = civil.Date{} }},
		{"register_number", func(a *Acknowledgment) { a.RegisterNumber = "" }},
		{"file_reference", func(a *Acknowledgment) { a.FileReference = " " }},
		{"social_worker", func(a *Acknowledgment) { a.SocialWorker = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			a := acknowledgment(NL)
			tt.change(&a)
			_, err := AcknowledgmentLetter(a)
			if !errors.Is(err, ErrIncomplete) || !strings.HasSuffix(err.Error(), "missing "+tt.field) {
				t.Fatalf("error %v, want missing %s", err, tt.field)
			}
		})
	}
	a := acknowledgment(FR)
	a.Kind, a.Subtype = legalclock.AideSociale, Energy
	doc, err := AcknowledgmentLetter(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := text(t, renderHTML(t, doc)); !strings.Contains(got, "aide sociale (aide en matière d'énergie)") || !strings.Contains(got, "21 avril 2025") {
		t.Errorf("aide sociale acknowledgment: %s", got)
	}
}

func hearing(lang Lang, appointment bool) Hearing {
	h := Hearing{CPAS: cpas(), Applicant: Beneficiary{Name: "Chloë Lefèvre", Address: Address{"Rue de la Source 12", "1060", "Saint-Gilles"}, Lang: lang},
		Kind: legalclock.RIS, Received: day("2025-03-21"), FileReference: "2026/000123", SocialWorker: "Julie Martens", Written: day("2025-04-01")}
	if appointment {
		h.Appointment = &Appointment{Date: day("2025-04-08"), Time: "14:30", Place: "Rue Fernand Bernier 40, 1060 Saint-Gilles, local 2.04"}
	} else {
		h.AskBy = day("2025-04-10")
	}
	return h
}

func TestHearingLetter(t *testing.T) {
	for _, lang := range Langs {
		for _, appointment := range []bool{true, false} {
			name := string(lang) + map[bool]string{true: "_appointment", false: "_ask"}[appointment]
			t.Run(name, func(t *testing.T) {
				doc, err := HearingLetter(hearing(lang, appointment))
				if err != nil {
					t.Fatal(err)
				}
				page := renderHTML(t, doc)
				got, htmlLang := text(t, page)
				if htmlLang != string(lang) {
					t.Errorf("lang %q", htmlLang)
				}
				want := []string{"2026/000123", "Julie Martens", pick(lang, "droit d'être entendu·e", "recht gehoord te worden"),
					pick(lang, "revenu d'intégration sociale du 21 mars 2025", "leefloon van 21 maart 2025"),
					pick(lang, "personne de votre choix", "persoon naar keuze")}
				if appointment {
					want = append(want, pick(lang, "le mardi 8 avril 2025 à 14:30", "op dinsdag 8 april 2025 om 14:30"), "local 2.04")
				} else {
					want = append(want, pick(lang, "à Julie Martens au plus tard le 10 avril 2025", "uiterlijk op 10 april 2025 weten aan Julie Martens"))
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%q not in the letter", w)
					}
				}
				golden(t, "hearing_"+name+".html", page)
				checkPDF(t, pdfBytes(t, doc), "2026/000123", "Julie Martens")
			})
		}
	}
}

func TestHearingIncomplete(t *testing.T) {
	tests := []struct {
		field  string
		change func(*Hearing)
	}{
		{"written", func(h *Hearing) { h.Written = civil.Date{} }},
		{"appointment.date", func(h *Hearing) { h.Appointment.Date = day("2025-03-31") }},
		{"appointment.time", func(h *Hearing) { h.Appointment.Time = "25:00" }},
		{"appointment.place", func(h *Hearing) { h.Appointment.Place = "" }},
		{"ask_by", func(h *Hearing) { h.Appointment, h.AskBy = nil, civil.Date{} }},
		{"ask_by", func(h *Hearing) { h.Appointment, h.AskBy = nil, day("2025-03-01") }},
		{"file_reference", func(h *Hearing) { h.FileReference = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			h := hearing(FR, true)
			tt.change(&h)
			_, err := HearingLetter(h)
			if !errors.Is(err, ErrIncomplete) || !strings.HasSuffix(err.Error(), "missing "+tt.field) {
				t.Fatalf("error %v, want missing %s", err, tt.field)
			}
		})
	}
}

func TestLabourCourts(t *testing.T) {
	courts := LabourCourts()
	if len(courts) != 9 {
		t.Fatalf("%d courts, want 9", len(courts))
	}
	seen := map[string]bool{}
	for _, c := range courts {
		if seen[c.ID] || c.FR == "" || c.NL == "" {
			t.Errorf("court %+v", c)
		}
		seen[c.ID] = true
		if got, ok := CourtByID(c.ID); !ok || got.ID != c.ID {
			t.Errorf("CourtByID(%s)", c.ID)
		}
	}
	if _, ok := CourtByID("paris"); ok {
		t.Error("unknown court found")
	}
	liege, _ := CourtByID("liege")
	addr := Address{"Place Saint-Lambert 1", "4000", "Liège"}
	for _, tt := range []struct {
		lang     Lang
		division string
		want     LabourCourt
	}{
		{FR, "Namur", LabourCourt{"Tribunal du travail de Liège", "division de Namur", addr}},
		{FR, "Arlon", LabourCourt{"Tribunal du travail de Liège", "division d'Arlon", addr}},
		{NL, "Namur", LabourCourt{"Arbeidsrechtbank Luik", "afdeling Namur", addr}},
		{FR, "", LabourCourt{"Tribunal du travail de Liège", "", addr}},
	} {
		if got := liege.LabourCourt(tt.lang, tt.division, addr); got != tt.want {
			t.Errorf("LabourCourt(%s, %q) = %+v", tt.lang, tt.division, got)
		}
	}
}

func TestLongLetterPDF(t *testing.T) {
	d := decision(t, NL, Granted)
	for i := range 40 {
		d.Conditions = append(d.Conditions, Condition{Text: fmt.Sprintf("Voorwaarde %d", i+1), Met: true, Note: strings.Repeat("vastgesteld tijdens het huisbezoek, ", 6)})
	}
	doc, err := DecisionLetter(d)
	if err != nil {
		t.Fatal(err)
	}
	pdf := pdfBytes(t, doc)
	pages := bytes.Count(pdf, []byte("/Type /Page\n"))
	if pages < 2 {
		t.Fatalf("%d pages for a long letter", pages)
	}
	checkPDF(t, pdf, fmt.Sprintf("1/%d", pages), fmt.Sprintf("%d/%d", pages, pages), "Voorwaarde 40", "Het beroep is kosteloos.")
}

func TestHTMLEscapesInput(t *testing.T) {
	d := decision(t, FR, Granted)
	d.Beneficiary.Name = "Chloë <script>alert(1)</script> & Co"
	doc, err := DecisionLetter(d)
	if err != nil {
		t.Fatal(err)
	}
	page := renderHTML(t, doc)
	if bytes.Contains(page, []byte("<script>")) {
		t.Fatal("input written unescaped")
	}
	if got, _ := text(t, page); !strings.Contains(got, "Chloë <script>alert(1)</script> & Co") {
		t.Errorf("name not shown as text: %s", got)
	}
}
