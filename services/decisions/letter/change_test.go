package letter

import (
	"errors"
	"strings"
	"testing"

	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// change is a complete change of kind k of the worked example's decision, in lang.
func change(lang Lang, k ChangeKind) Change {
	c := Change{CPAS: cpas(), Court: court(lang),
		Beneficiary:   Beneficiary{Name: "Chloë Lefèvre", Address: Address{"Rue de la Source 12", "1060", "Saint-Gilles"}, Lang: lang},
		FileReference: "2026/000123", SocialWorker: "Julie Martens", Kind: legalclock.RIS, Change: k,
		Original: day("2025-03-05"), Decided: day("2025-06-02"), Notified: day("2025-06-04"),
		Motivation: pick(lang, "Vous travaillez à temps partiel depuis le 1er mai 2025.", "U werkt sinds 1 mei 2025 deeltijds.")}
	switch k {
	case ChangeRevision:
		c.From, c.Monthly, c.Previous = day("2025-05-01"), 48905, 58905
	case ChangeSuspension:
		c.From, c.To = day("2025-06-01"), day("2025-06-30")
	case ChangeWithdrawal, ChangeTermination:
		c.From = day("2025-06-30")
	case ChangeRecovery:
		c.From, c.To, c.Amount, c.Case = day("2025-03-01"), day("2025-04-30"), 60000, "resources_received"
	}
	return c
}

func TestChangeLetterMentions(t *testing.T) {
	for _, lang := range Langs {
		for _, k := range ChangeKinds {
			t.Run(string(lang)+"_"+string(k), func(t *testing.T) {
				c := change(lang, k)
				if m := CheckChangeMentions(c); len(m) > 0 {
					t.Fatalf("complete change reported missing %v", m)
				}
				doc, err := ChangeLetter(c)
				if err != nil {
					t.Fatal(err)
				}
				page := renderHTML(t, doc)
				got, htmlLang := text(t, page)
				if htmlLang != string(lang) {
					t.Errorf("html lang %q", htmlLang)
				}
				want := []string{
					c.Court.Name, "Boulevard de Waterloo 70", "1000 Bruxelles", // the labour court and its address
					pick(lang, "dans un délai de trois mois à compter de sa notification", "binnen een termijn van drie maanden vanaf de kennisgeving"),
					pick(lang, "expire le 4 septembre 2025", "verstrijkt op 4 september 2025"), // 3 months from the change's notification
					pick(lang, "Le recours est gratuit.", "Het beroep is kosteloos."),
					pick(lang, "Le recours n'est pas suspensif", "Het beroep is niet opschortend"),
					"2026/000123", "Julie Martens", "Service social général", "CPAS de Saint-Gilles", "Chloë Lefèvre",
					c.Motivation, ChangeLegalBasis(k, legalclock.RIS, lang),
					pick(lang, "2 juin 2025", "2 juni 2025"), pick(lang, "5 mars 2025", "5 maart 2025"),
				}
				switch k {
				case ChangeRevision:
					want = append(want, pick(lang, "Nouveau montant mensuel à partir du 1er mai 2025 489,05 €", "Nieuw maandelijks bedrag vanaf 1 mei 2025 € 489,05"))
				case ChangeSuspension:
					want = append(want, pick(lang, "du 1er juin 2025 au 30 juin 2025", "van 1 juni 2025 tot en met 30 juni 2025"))
				case ChangeRecovery:
					want = append(want, pick(lang, "600,00 €", "€ 600,00"), ReasonText(ChangeRecovery, "resources_received", lang))
				default:
					want = append(want, pick(lang, "30 juin 2025", "30 juni 2025"))
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%q not in the letter:\n%s", w, got)
					}
				}
				pdf := pdfBytes(t, doc)
				checkPDF(t, pdf, "2026/000123", pick(lang, "Le recours est gratuit.", "Het beroep is kosteloos."))
			})
		}
	}
}

func TestChangeLetterRefusesMissingMention(t *testing.T) {
	c := change(FR, ChangeRecovery)
	c.Court.Address, c.Motivation, c.Amount, c.Case = Address{}, " ", 0, "birthday"
	_, err := ChangeLetter(c)
	var me *MissingMentionsError
	if !errors.As(err, &me) || !errors.Is(err, ErrMissingMentions) {
		t.Fatalf("%v", err)
	}
	got := map[Mention]bool{}
	for _, m := range me.Missing {
		got[m.Mention] = true
	}
	for _, m := range []Mention{MentionCourtAddress, MentionFactualGrounds, MentionChangedAmounts, MentionRecoveryCase} {
		if !got[m] {
			t.Errorf("%s not reported: %v", m, me.Missing)
		}
	}
	r := change(NL, ChangeRevision)
	r.Monthly, r.Change = 0, "pause"
	m := CheckChangeMentions(r)
	if len(m) == 0 || m[0].Mention != MentionChangeKind {
		t.Errorf("%v", m)
	}
	r = change(NL, ChangeRevision)
	r.Monthly = 0
	if m := CheckChangeMentions(r); len(m) != 1 || m[0].Mention != MentionChangedAmounts {
		t.Errorf("RIS revised to nothing: %v", m)
	}
	r.Kind, r.Subtype, r.Category = legalclock.AideSociale, Energy, ris.Category(0)
	if m := CheckChangeMentions(r); len(m) != 0 {
		t.Errorf("aide sociale revised to nothing: %v", m)
	}
}
