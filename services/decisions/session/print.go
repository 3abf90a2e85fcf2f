package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/lang"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/ris"
)

// The documents this package prints (letter.Document's HTML print stylesheet and PDF).
const (
	KindMinutes letter.DocumentKind = "minutes"
	KindExtract letter.DocumentKind = "extract"
)

// text is a sentence in French and Dutch, the languages of the minutes.
type text struct{ fr, nl string }

func (t text) in(l letter.Lang) string {
	if l == letter.NL {
		return t.nl
	}
	return t.fr
}

var (
	tMinutesTitle = text{"Procès-verbal de la séance du Comité spécial du service social du %s", "Notulen van de zitting van het Bijzonder Comité voor de Sociale Dienst van %s"}
	tExtractTitle = text{"Extrait du procès-verbal de la séance du %s — point %d", "Uittreksel uit de notulen van de zitting van %s — punt %d"}
	tTime         = text{"Heure", "Uur"}
	tPlace        = text{"Lieu", "Plaats"}
	tPresident    = text{"Président", "Voorzitter"}
	tSecretary    = text{"Secrétaire", "Secretaris"}
	tConvocation  = text{"Convocation", "Oproeping"}
	tConvUrgent   = text{"envoyée le %s, en urgence : %s", "verstuurd op %s, hoogdringend: %s"}
	tConvSent     = text{"envoyée le %s (au plus tard le %s)", "verstuurd op %s (uiterlijk %s)"}
	tAttendance   = text{"Présences", "Aanwezigheden"}
	tMovements    = text{"Arrivées et départs", "Aankomsten en vertrekken"}
	tArrived      = text{"%s : arrivée à %s", "%s: aangekomen om %s"}
	tLeft         = text{"%s : départ à %s", "%s: vertrokken om %s"}
	tItem         = text{"Point %d — %s", "Punt %d — %s"}
	tProposalOf   = text{"proposition, dossier %s", "voorstel, dossier %s"}
	tRatifOf      = text{"ratification d'une décision urgente du président, dossier %s", "bekrachtiging van een dringende beslissing van de voorzitter, dossier %s"}
	tOutcome      = text{"Décision", "Beslissing"}
	tVoteCounts   = text{"%s : %d pour, %d contre, %d abstention(s)", "%s: %d voor, %d tegen, %d onthouding(en)"}
	tCasting      = text{"voix prépondérante du président : %s", "beslissende stem van de voorzitter: %s"}
	tQuorum       = text{"Quorum", "Quorum"}
	tQuorumCounts = text{"%d présents sur %d requis (%d membres votants)", "%d aanwezig van %d vereist (%d stemgerechtigde leden)"}
	tConflicts    = text{"Conflit d'intérêts (absent pour ce point)", "Belangenconflict (afwezig voor dit punt)"}
	tCategory     = text{"Catégorie", "Categorie"}
	tAmount       = text{"Montant mensuel", "Maandbedrag"}
	tStart        = text{"Début", "Begin"}
	tEnd          = text{"Fin", "Einde"}
	tReview       = text{"Révision", "Herziening"}
	tPIIS         = text{"PIIS", "GPMI"}
	tYes          = text{"oui", "ja"}
	tNo           = text{"non", "nee"}
	tProposed     = text{"Conditions proposées", "Voorgestelde voorwaarden"}
	tDecided      = text{"Conditions décidées", "Beslist voorwaarden"}
	tAmendReason  = text{"Motivation de l'amendement", "Motivering van het amendement"}
	tPostponed    = text{"Reporté : %s", "Uitgesteld: %s"}
	tPostponedCl  = text{"Reporté à la clôture (non traité)", "Uitgesteld bij de sluiting (niet behandeld)"}
	tOpenedClosed = text{"Séance ouverte à %s et clôturée à %s.", "Zitting geopend om %s en gesloten om %s."}
	tSignOff      = text{"Procès-verbal approuvé par le président le %s.", "Notulen goedgekeurd door de voorzitter op %s."}
	tNotSigned    = text{"Procès-verbal non encore approuvé.", "Notulen nog niet goedgekeurd."}
	tConcerns     = text{"Personne concernée", "Betrokkene"}
	tFile         = text{"Dossier", "Dossier"}
	tUrgentOn     = text{"Décision urgente du président du %s", "Dringende beslissing van de voorzitter van %s"}
	tFooter       = text{"Séance du %s — confidentiel (art. 36 LO)", "Zitting van %s — vertrouwelijk (art. 36 OW)"}
	tCertified    = text{"Pour extrait conforme.", "Voor eensluidend uittreksel."}
	tMotivation   = text{"Base légale et motivation", "Rechtsgrond en motivering"}
	tSecretVote   = text{"scrutin secret", "geheime stemming"}
	tShowOfHands  = text{"à main levée", "bij handopsteking"}
	tBallots      = text{"Votes nominatifs", "Naamstemming"}
	tOutcomes     = map[committee.Outcome]text{
		committee.Approved:  {"approuvé", "goedgekeurd"},
		committee.Amended:   {"approuvé avec amendement", "goedgekeurd met amendement"},
		committee.Rejected:  {"rejeté", "verworpen"},
		committee.Postponed: {"reporté", "uitgesteld"},
	}
	tAttendances = map[committee.Attendance]text{
		committee.Present: {"présent", "aanwezig"},
		committee.Excused: {"excusé", "verontschuldigd"},
		committee.Absent:  {"absent", "afwezig"},
	}
	tChoices = map[committee.Choice]text{
		committee.For: {"pour", "voor"}, committee.Against: {"contre", "tegen"}, committee.Abstain: {"abstention", "onthouding"},
	}
)

func langOf(ctx context.Context) letter.Lang {
	if lang.FromContext(ctx) == "nl" {
		return letter.NL
	}
	return letter.FR
}

func clock(t time.Time) string { return t.In(civil.Brussels).Format("15:04") }

func amount(c ris.Cents, l letter.Lang) string {
	v := int64(c)
	s := fmt.Sprintf("%d,%02d €", v/100, v%100)
	if l == letter.NL {
		s = "€ " + strings.TrimSuffix(s, " €")
	}
	return s
}

func termsRows(t committee.Terms, l letter.Lang) []letter.Row {
	var rows []letter.Row
	if t.Category != 0 {
		rows = append(rows, letter.Row{Label: tCategory.in(l), Value: fmt.Sprint(int(t.Category))})
	}
	rows = append(rows, letter.Row{Label: tAmount.in(l), Value: amount(t.MonthlyAmount, l)},
		letter.Row{Label: tStart.in(l), Value: t.Start.Long(string(l))})
	if !t.End.IsZero() {
		rows = append(rows, letter.Row{Label: tEnd.in(l), Value: t.End.Long(string(l))})
	}
	if !t.Review.IsZero() {
		rows = append(rows, letter.Row{Label: tReview.in(l), Value: t.Review.Long(string(l))})
	}
	piis := tNo.in(l)
	if t.PIIS {
		piis = tYes.in(l)
	}
	return append(rows, letter.Row{Label: tPIIS.in(l), Value: piis})
}

func tallyLines(t *committee.Tally, l letter.Lang) []string {
	mode := tSecretVote.in(l)
	if t.Mode == committee.ShowOfHands {
		mode = tShowOfHands.in(l)
	}
	out := []string{fmt.Sprintf(tVoteCounts.in(l), mode, t.For, t.Against, t.Abstain)}
	if t.CastingVote != "" {
		out = append(out, fmt.Sprintf(tCasting.in(l), tChoices[t.CastingVote].in(l)))
	}
	out = append(out, tQuorum.in(l)+" : "+fmt.Sprintf(tQuorumCounts.in(l), t.Quorum.Present, t.Quorum.Required, t.Quorum.Voting))
	return out
}

// printer builds the documents of one closed session.
type printer struct {
	lang    letter.Lang
	cpas    letter.CPAS
	names   map[string]string
	files   map[string]projection.File
	details map[string]ItemDetails
}

func (p printer) name(id string) string {
	if n := p.names[id]; n != "" {
		return n
	}
	return id
}

func (p printer) fileNumber(id string) string {
	if f, ok := p.files[id]; ok && f.Number != "" {
		return f.Number
	}
	return id
}

func (p printer) sender() []string {
	lines := []string{p.cpas.Name}
	if p.cpas.Service != "" {
		lines = append(lines, p.cpas.Service)
	}
	return append(lines, p.cpas.Address.Lines()...)
}

func (p printer) minutes(m committee.Minutes) letter.Document {
	l := p.lang
	day := m.Date.Long(string(l))
	doc := letter.Document{Kind: KindMinutes, Lang: l, Title: fmt.Sprintf(tMinutesTitle.in(l), day), Sender: p.sender(),
		Footer: fmt.Sprintf(tFooter.in(l), m.Date.String())}
	conv := fmt.Sprintf(tConvSent.in(l), m.Convocation.SentOn.Long(string(l)), m.Convocation.Latest.Long(string(l)))
	if m.Convocation.Urgent {
		conv = fmt.Sprintf(tConvUrgent.in(l), m.Convocation.SentOn.Long(string(l)), m.Convocation.Motivation)
	}
	doc.Meta = []letter.Row{{Label: tTime.in(l), Value: m.Time}, {Label: tPlace.in(l), Value: m.Place},
		{Label: tPresident.in(l), Value: p.name(m.President)}, {Label: tSecretary.in(l), Value: p.name(m.Secretary)},
		{Label: tConvocation.in(l), Value: conv}}
	doc.Intro = []string{fmt.Sprintf(tOpenedClosed.in(l), clock(m.OpenedAt), clock(m.ClosedAt))}
	att := letter.Section{Heading: tAttendance.in(l)}
	for _, a := range m.Attendance {
		att.List = append(att.List, p.name(a.UserID)+" — "+tAttendances[a.AtOpening].in(l))
	}
	doc.Sections = append(doc.Sections, att)
	if len(m.Movements) > 0 {
		mv := letter.Section{Heading: tMovements.in(l)}
		for _, x := range m.Movements {
			f := tLeft
			if x.Arrived {
				f = tArrived
			}
			mv.List = append(mv.List, fmt.Sprintf(f.in(l), p.name(x.UserID), clock(x.At)))
		}
		doc.Sections = append(doc.Sections, mv)
	}
	for _, it := range m.Items {
		doc.Sections = append(doc.Sections, p.itemSection(it, l))
	}
	if m.SignOff != nil {
		doc.Closing = []string{fmt.Sprintf(tSignOff.in(l), civil.Of(m.SignOff.At).Long(string(l)))}
	} else {
		doc.Closing = []string{tNotSigned.in(l)}
	}
	doc.Signature = []string{tSecretary.in(l) + " : " + p.name(m.Secretary), tPresident.in(l) + " : " + p.name(m.President)}
	return doc
}

func (p printer) itemSection(it committee.MinutesItem, l letter.Lang) letter.Section {
	what := fmt.Sprintf(tProposalOf.in(l), p.fileNumber(it.FileRef))
	if it.Kind == committee.ItemRatification {
		what = fmt.Sprintf(tRatifOf.in(l), p.fileNumber(it.FileRef))
	}
	if n := p.details[it.Ref].PersonName; n != "" {
		what += " (" + n + ")"
	}
	sec := letter.Section{Heading: fmt.Sprintf(tItem.in(l), it.Number, what)}
	sec.Paragraphs = []string{tOutcome.in(l) + " : " + tOutcomes[it.Outcome].in(l)}
	switch {
	case it.PostponedAtClose:
		sec.Paragraphs = append(sec.Paragraphs, tPostponedCl.in(l))
	case it.Outcome == committee.Postponed:
		sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf(tPostponed.in(l), it.PostponeReason))
	}
	if it.Tally != nil {
		sec.List = tallyLines(it.Tally, l)
	}
	if len(it.Ballots) > 0 {
		var b []string
		for _, x := range it.Ballots {
			b = append(b, p.name(x.UserID)+" : "+tChoices[x.Choice].in(l))
		}
		sec.List = append(sec.List, tBallots.in(l)+" — "+strings.Join(b, " ; "))
	}
	if len(it.Conflicts) > 0 {
		var c []string
		for _, u := range it.Conflicts {
			c = append(c, p.name(u))
		}
		sec.List = append(sec.List, tConflicts.in(l)+" : "+strings.Join(c, ", "))
	}
	sec.Table = termsRows(it.Terms, l)
	if it.Outcome == committee.Amended {
		sec.After = []string{tAmendReason.in(l) + " : " + it.AmendmentMotivationRef}
	}
	return sec
}

func (p printer) extract(e committee.Extract, person string, d ItemDetails) letter.Document {
	l := p.lang
	doc := letter.Document{Kind: KindExtract, Lang: l, Title: fmt.Sprintf(tExtractTitle.in(l), e.SessionDate.Long(string(l)), e.Number),
		Sender: p.sender(), Footer: fmt.Sprintf(tFooter.in(l), e.SessionDate.String())}
	doc.Meta = []letter.Row{{Label: tConcerns.in(l), Value: person}, {Label: tFile.in(l), Value: p.fileNumber(e.FileRef)},
		{Label: tPresident.in(l), Value: p.name(e.President)}, {Label: tSecretary.in(l), Value: p.name(e.Secretary)}}
	if !e.UrgentDecidedAt.IsZero() {
		doc.Intro = []string{fmt.Sprintf(tUrgentOn.in(l), civil.Of(e.UrgentDecidedAt).Long(string(l)))}
	}
	t := e.Tally
	doc.Sections = []letter.Section{
		{Heading: tOutcome.in(l), Paragraphs: []string{tOutcomes[e.Outcome].in(l)}, List: tallyLines(&t, l)},
		{Heading: tDecided.in(l), Table: termsRows(e.Terms, l)},
	}
	if d.LegalBasis != "" || d.Motivation != "" {
		sec := letter.Section{Heading: tMotivation.in(l)}
		for _, para := range []string{d.LegalBasis, d.Motivation} {
			if para != "" {
				sec.Paragraphs = append(sec.Paragraphs, para)
			}
		}
		doc.Sections = append(doc.Sections, sec)
	}
	if e.Outcome == committee.Amended {
		doc.Sections = append(doc.Sections, letter.Section{Heading: tProposed.in(l), Table: termsRows(e.ProposedTerms, l),
			After: []string{tAmendReason.in(l) + " : " + e.AmendmentMotivationRef}})
	}
	if e.SignOff != nil {
		doc.Closing = []string{fmt.Sprintf(tSignOff.in(l), civil.Of(e.SignOff.At).Long(string(l))), tCertified.in(l)}
	} else {
		doc.Closing = []string{tNotSigned.in(l)}
	}
	doc.Signature = []string{tSecretary.in(l) + " : " + p.name(e.Secretary)}
	return doc
}

// printerFor reads what the documents of rec print besides the session: the CPAS and the files' numbers.
func (s *Service) printerFor(ctx context.Context, rec Record) (printer, error) {
	st, err := s.Settings.Get(ctx, rec.Tenant)
	if err != nil {
		return printer{}, err
	}
	ids := make([]string, 0, len(rec.State.Session.Items))
	for _, it := range rec.State.Session.Items {
		ids = append(ids, it.FileRef)
	}
	files := map[string]projection.File{}
	if s.Proj != nil && len(ids) > 0 {
		if files, err = s.Proj.Files(ctx, rec.Tenant, ids); err != nil {
			return printer{}, err
		}
	}
	details, err := s.details(ctx, rec.Tenant, rec.ID)
	if err != nil {
		return printer{}, err
	}
	return printer{lang: langOf(ctx), cpas: st.State.CPAS(), names: rec.State.Names, files: files, details: details}, nil
}

// fileNumbers maps the ids of the items' files to their numbers (the projection of the registry).
func (s *Service) fileNumbers(ctx context.Context, rec Record) (map[string]string, error) {
	out := map[string]string{}
	if s.Proj == nil || len(rec.State.Session.Items) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(rec.State.Session.Items))
	for _, it := range rec.State.Session.Items {
		ids = append(ids, it.FileRef)
	}
	files, err := s.Proj.Files(ctx, rec.Tenant, ids)
	if err != nil {
		return nil, err
	}
	for id, f := range files {
		out[id] = f.Number
	}
	return out, nil
}

// Minutes prints the minutes of a closed session (the secretary, the members and the president while they see
// the session), audited.
func (s *Service) Minutes(ctx context.Context, a kit.Actor, id, purpose string) (letter.Document, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return letter.Document{}, err
	}
	rec, sess, err := s.load(ctx, a, id)
	if err != nil {
		return letter.Document{}, err
	}
	m, err := sess.Minutes()
	if err != nil {
		return letter.Document{}, ruleError(err)
	}
	p, err := s.printerFor(ctx, rec)
	if err != nil {
		return letter.Document{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.minutes", ResourceType: "session", ResourceID: id, Purpose: purpose})
	return p.minutes(m), nil
}

// Extract prints the decision extract of an item of a closed session for the person concerned, audited with
// the item's file.
func (s *Service) Extract(ctx context.Context, a kit.Actor, id, ref, purpose string) (letter.Document, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return letter.Document{}, err
	}
	rec, sess, err := s.load(ctx, a, id)
	if err != nil {
		return letter.Document{}, err
	}
	exs, err := sess.Extracts()
	if err != nil {
		return letter.Document{}, ruleError(err)
	}
	for _, e := range exs {
		if e.Ref != ref {
			continue
		}
		p, err := s.printerFor(ctx, rec)
		if err != nil {
			return letter.Document{}, err
		}
		details, err := s.details(ctx, a.Tenant, id)
		if err != nil {
			return letter.Document{}, err
		}
		d := details[ref]
		person := d.PersonName
		if person == "" {
			person = e.PersonRef
		}
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.extract", ResourceType: "session", ResourceID: id, FileID: e.FileRef, Purpose: purpose})
		return p.extract(e, person, d), nil
	}
	if _, ok := sess.Item(ref); ok {
		return letter.Document{}, &problem.Error{Type: problem.Conflict, Detail: "session.no_extract"}
	}
	return letter.Document{}, kit.ErrNotFound
}

// Extracts prints every extract of a closed session (the benchmark's last step and the secretary's batch).
func (s *Service) Extracts(ctx context.Context, a kit.Actor, id, purpose string) ([]letter.Document, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	rec, sess, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	exs, err := sess.Extracts()
	if err != nil {
		return nil, ruleError(err)
	}
	p, err := s.printerFor(ctx, rec)
	if err != nil {
		return nil, err
	}
	details, err := s.details(ctx, a.Tenant, id)
	if err != nil {
		return nil, err
	}
	out := make([]letter.Document, 0, len(exs))
	for _, e := range exs {
		d := details[e.Ref]
		person := d.PersonName
		if person == "" {
			person = e.PersonRef
		}
		out = append(out, p.extract(e, person, d))
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.extracts", ResourceType: "session", ResourceID: id, Purpose: purpose})
	return out, nil
}

func init() {
	problem.RegisterMessages("session.no_extract", map[string]string{
		"fr": "Ce point n'a pas d'extrait : il a été reporté.", "nl": "Dit punt heeft geen uittreksel: het werd uitgesteld.",
		"de": "Dieser Punkt hat keinen Auszug: er wurde vertagt.", "en": "This item has no extract: it was postponed.",
	})
}
