package letter

import (
	"strings"
	"testing"
)

// TestRevisionLetterNamesTheNewPayee: a revision that changes who is paid says so in FR and NL — the third party by
// its name, from the revision's date, never an account number — and the periodicity names who receives the
// transfers; back to the beneficiary, the letter says the aid is paid to them again; a revision that leaves the
// payee alone says nothing of it.
func TestRevisionLetterNamesTheNewPayee(t *testing.T) {
	const landlord = "Logements Sociaux de Saint-Gilles SCRL"
	for _, lang := range []Lang{FR, NL} {
		t.Run(string(lang), func(t *testing.T) {
			read := func(c Change) string {
				t.Helper()
				doc, err := ChangeLetter(c)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := text(t, renderHTML(t, doc))
				return got
			}
			c := change(lang, ChangeRevision)
			c.PaidTo, c.PayeeChanged = landlord, true
			got := read(c)
			for _, w := range []string{
				pick(lang, "Nouveau bénéficiaire du paiement : à partir du 1er mai 2025, votre aide est versée directement à "+landlord+".",
					"Nieuwe begunstigde van de betaling: vanaf 1 mei 2025 wordt uw hulp rechtstreeks betaald aan "+landlord+"."),
				pick(lang, "par virement à "+landlord, "door overschrijving aan "+landlord),
			} {
				if !strings.Contains(got, w) {
					t.Errorf("%q not in the letter:\n%s", w, got)
				}
			}
			if strings.Contains(got, "BE68") || strings.Contains(got, pick(lang, "sur votre compte", "op uw rekening")) {
				t.Errorf("an account in the letter:\n%s", got)
			}

			c.PaidTo = ""
			got = read(c)
			for _, w := range []string{
				pick(lang, "à partir du 1er mai 2025, votre aide vous est de nouveau versée, sur votre compte",
					"vanaf 1 mei 2025 wordt uw hulp opnieuw aan u betaald, op uw rekening"),
				pick(lang, "mensuelle, par virement sur votre compte.", "maandelijks, door overschrijving op uw rekening."),
			} {
				if !strings.Contains(got, w) {
					t.Errorf("%q not in the letter:\n%s", w, got)
				}
			}

			c.PayeeChanged = false
			got = read(c)
			if strings.Contains(got, pick(lang, "Nouveau bénéficiaire du paiement", "Nieuwe begunstigde van de betaling")) {
				t.Errorf("a payee change mentioned by a revision that made none:\n%s", got)
			}
			c.PaidTo = landlord
			got = read(c)
			if strings.Contains(got, pick(lang, "Nouveau bénéficiaire", "Nieuwe begunstigde")) || !strings.Contains(got, pick(lang, "par virement à "+landlord, "door overschrijving aan "+landlord)) {
				t.Errorf("unchanged third party:\n%s", got)
			}
		})
	}
}

// TestDecisionLetterNamesTheThirdPartyPaid: a decision that pays a third party says so in its periodicity
// mention — the third party by its name, never an account number, never "your account" — in FR and NL, monthly
// and once.
func TestDecisionLetterNamesTheThirdPartyPaid(t *testing.T) {
	const supplier = "Sibelga Énergie SA"
	for _, lang := range []Lang{FR, NL} {
		t.Run(string(lang), func(t *testing.T) {
			d := decision(t, lang, Granted)
			d.PaidTo = supplier
			doc, err := DecisionLetter(d)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := text(t, renderHTML(t, doc))
			want := pick(lang, "Périodicité du paiement : mensuelle, par virement à "+supplier+".",
				"Betalingsfrequentie: maandelijks, door overschrijving aan "+supplier+".")
			if !strings.Contains(got, want) || strings.Contains(got, pick(lang, "sur votre compte", "op uw rekening")) {
				t.Errorf("want %q and no own account in:\n%s", want, got)
			}
			d.Paid, d.OneOff = PaidOnce, d.Monthly
			doc, err = DecisionLetter(d)
			if err != nil {
				t.Fatal(err)
			}
			got, _ = text(t, renderHTML(t, doc))
			if want := pick(lang, "paiement unique, par virement à "+supplier+".", "eenmalige betaling, door overschrijving aan "+supplier+"."); !strings.Contains(got, want) {
				t.Errorf("want %q in:\n%s", want, got)
			}
		})
	}
}
