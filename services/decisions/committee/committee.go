// Package committee owns the decisions of the Comité spécial du service social (CSSS; Bijzonder comité voor de
// sociale dienst, BCSD: the committee of the CPAS council that decides on individual aid in closed session, its
// members bound to secrecy by art. 36 of the loi organique, "LO"), as domain.md §1 and §4 describe them: a Session
// with its members, convocation, agenda of validated proposals and of ratifications, attendance and quorum, the
// vote on each item and its outcome, the closing by the secretary and the president's sign-off of the minutes
// (procès-verbal) with one decision extract per item; the president's urgent decisions (art. 28 LO) and their
// ratification at the next session; and who may read a session's items. The package does no I/O: the service
// loads a Session, calls its methods (which refuse what the rules forbid, with the reason) and saves it.
package committee

import (
	"fmt"

	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// RuleError is a refusal by the committee's rules. Each one has a stable Code registered in the problem catalog
// (fr/nl/de/en), so the transport renders it as a problem detail (problem.Conflict with Detail = Code()).
type RuleError struct {
	code string
	text string
}

func (e *RuleError) Error() string { return "committee: " + e.text }

// Code is the message code of the problem catalog.
func (e *RuleError) Code() string { return e.code }

// The refusals, one per meaning. Methods wrap them with the figures that explain the refusal (counts and ids,
// never a name), so match them with errors.Is.
var (
	// ErrTransition: the session is not in a status where this step is allowed (planned → convened → opened →
	// closed → minutes approved).
	ErrTransition = &RuleError{"committee.invalid_transition", "not allowed in the session's status"}
	// ErrConvocationLate: the convocation leaves fewer clear days than the rules ask and is not flagged urgent with
	// a motivation.
	ErrConvocationLate = &RuleError{"committee.convocation_late", "convocation too late"}
	// ErrConvocationAfterSession: the convocation is sent on or after the session day, urgent or not.
	ErrConvocationAfterSession = &RuleError{"committee.convocation_after_session", "convocation on or after the session day"}
	// ErrOpenedBeforeDay: a session opens on its day (or later, when it was held late), never before.
	ErrOpenedBeforeDay = &RuleError{"committee.opened_before_day", "the session opens on its day, not before"}
	// ErrAgendaClosed: items are added or removed only until the session opens.
	ErrAgendaClosed = &RuleError{"committee.agenda_closed", "the agenda is closed once the session is opened"}
	// ErrNotValidated: only proposals validated by the head of the social service go on an agenda.
	ErrNotValidated = &RuleError{"committee.proposal_not_validated", "proposal not validated"}
	// ErrAlreadyOnAgenda: the proposal or urgent decision is already an item of this session.
	ErrAlreadyOnAgenda = &RuleError{"committee.already_on_agenda", "already on the agenda"}
	// ErrNotOnAgenda: the item is not on this session's agenda.
	ErrNotOnAgenda = &RuleError{"committee.not_on_agenda", "item not on the agenda"}
	// ErrOtherTenant: the urgent decision belongs to another CPAS than the session.
	ErrOtherTenant = &RuleError{"committee.other_tenant", "belongs to another tenant"}
	// ErrNoRatificationNeeded: the urgent decision was already ratified or refused.
	ErrNoRatificationNeeded = &RuleError{"committee.no_ratification_needed", "urgent decision already ratified or refused"}
	// ErrNotMember: the user is not a member of this session.
	ErrNotMember = &RuleError{"committee.not_member", "not a member of the session"}
	// ErrNotVoting: the secretary keeps the minutes and does not vote.
	ErrNotVoting = &RuleError{"committee.secretary_does_not_vote", "the secretary does not vote"}
	// ErrNotPresent: only the members present vote (and only present members leave).
	ErrNotPresent = &RuleError{"committee.not_present", "member not present"}
	// ErrAlreadyPresent: the member is already recorded present.
	ErrAlreadyPresent = &RuleError{"committee.already_present", "member already present"}
	// ErrConflictOfInterest: the member declared a conflict of interest on the item and does not vote on it.
	ErrConflictOfInterest = &RuleError{"committee.conflict_of_interest", "member declared a conflict of interest on the item"}
	// ErrAlreadyVoted: a member votes once per item (and declares a conflict before voting, not after).
	ErrAlreadyVoted = &RuleError{"committee.already_voted", "member already voted on the item"}
	// ErrVoteNotStarted: the vote on the item has not been opened.
	ErrVoteNotStarted = &RuleError{"committee.vote_not_started", "no vote on the item"}
	// ErrVoteStarted: the vote on the item is already open.
	ErrVoteStarted = &RuleError{"committee.vote_started", "vote already open"}
	// ErrVoteInProgress: ballots were cast on an item that has no outcome: the vote must end with an outcome.
	ErrVoteInProgress = &RuleError{"committee.vote_in_progress", "a vote is in progress"}
	// ErrItemDecided: the item already has its outcome.
	ErrItemDecided = &RuleError{"committee.item_decided", "item already decided"}
	// ErrNoQuorum: fewer members present (and not excused for a conflict of interest) than the quorum rule asks.
	ErrNoQuorum = &RuleError{"committee.no_quorum", "no quorum"}
	// ErrNoMajority: the votes do not give the majority the rules ask for approving (or amending) the item.
	ErrNoMajority = &RuleError{"committee.no_majority", "no majority for the item"}
	// ErrMajorityReached: a rejection is recorded only when the vote did not approve the item.
	ErrMajorityReached = &RuleError{"committee.majority_reached", "the vote approved the item"}
	// ErrTie: the vote is tied and the rules of order give the president a casting vote that was not cast yet.
	ErrTie = &RuleError{"committee.tie_casting_vote_needed", "tied vote: the president's casting vote is needed"}
	// ErrNoCastingVote: the rules give no casting vote, the vote is not tied, or the voter is not the president.
	ErrNoCastingVote = &RuleError{"committee.no_casting_vote", "no casting vote allowed"}
	// ErrNotSecretary: only the session's secretary closes it.
	ErrNotSecretary = &RuleError{"committee.not_secretary", "only the secretary closes the session"}
	// ErrNotPresident: only the session's president signs the minutes off (and casts the deciding vote).
	ErrNotPresident = &RuleError{"committee.not_president", "only the president signs the minutes off"}
	// ErrNotClosed: minutes exist only for a closed session.
	ErrNotClosed = &RuleError{"committee.not_closed", "session not closed"}
)

// Role is a member's role in a session.
type Role string

// The roles in a session. The president chairs and votes; the secretary (directeur général) keeps the minutes and
// does not vote.
const (
	RoleMember    Role = "member"
	RolePresident Role = "president"
	RoleSecretary Role = "secretary"
)

// Votes reports whether the role votes.
func (r Role) Votes() bool { return r == RoleMember || r == RolePresident }

func (r Role) valid() bool { return r == RoleMember || r == RolePresident || r == RoleSecretary }

// QuorumRule is how the quorum is counted.
type QuorumRule string

// The quorum rules.
const (
	// QuorumMajorityOfMembers: more than half of the session's voting members (president and members, not the
	// secretary) are present: 4 of 7, 4 of 6 (exactly half is not enough). This is domain.md §4's "majority of
	// members present", read as in art. 27 LO (the majority of the members in office present), the default.
	QuorumMajorityOfMembers QuorumRule = "majority_of_members"
	// QuorumFixed: at least Rules.QuorumFixed voting members are present.
	QuorumFixed QuorumRule = "fixed_number"
)

// MajorityRule is how a vote approves an item.
type MajorityRule string

// The majority rules.
const (
	// MajorityOfVotesCast: more votes for than against; abstentions are not counted. The default.
	MajorityOfVotesCast MajorityRule = "votes_cast"
	// MajorityOfMembersPresent: more votes for than half of the voting members present and not excused for a
	// conflict of interest on the item (an abstention weighs like a vote against).
	MajorityOfMembersPresent MajorityRule = "members_present"
)

// TieRule is what a tied vote gives.
type TieRule string

// The tie rules.
const (
	// TieRejects: a tie rejects the item. The default.
	TieRejects TieRule = "rejected"
	// TiePresidentDecides: the president's casting vote decides (voix prépondérante), when the rules of order say
	// so. The president casts it explicitly (Session.CastingVote), in a secret ballot too.
	TiePresidentDecides TieRule = "president_casting_vote"
)

// Rules are the tenant's rules of order for the committee.
type Rules struct {
	Quorum QuorumRule `json:"quorum"`
	// QuorumFixed is the number of voting members present QuorumFixed asks for.
	QuorumFixed int          `json:"quorum_fixed"`
	Majority    MajorityRule `json:"majority"`
	Tie         TieRule      `json:"tie"`
	// Clock gives ConvocationClearDays (default 5).
	Clock legalclock.Rules `json:"clock"`
}

// DefaultRules: quorum of the majority of the voting members, majority of the votes cast, a tie rejects, 5 clear
// days of convocation.
func DefaultRules() Rules {
	return Rules{Quorum: QuorumMajorityOfMembers, Majority: MajorityOfVotesCast, Tie: TieRejects,
		Clock: legalclock.DefaultRules()}
}

// Validate checks the rules; the error is a problem.Validation.
func (r Rules) Validate() error {
	var fs problem.Fields
	switch r.Quorum {
	case QuorumMajorityOfMembers:
	case QuorumFixed:
		if r.QuorumFixed < 1 || r.QuorumFixed > 99 {
			fs.Add("quorum_fixed", "out_of_range", "min", 1, "max", 99)
		}
	default:
		fs.Add("quorum", "invalid_choice")
	}
	if r.Majority != MajorityOfVotesCast && r.Majority != MajorityOfMembersPresent {
		fs.Add("majority", "invalid_choice")
	}
	if r.Tie != TieRejects && r.Tie != TiePresidentDecides {
		fs.Add("tie", "invalid_choice")
	}
	if err := r.Clock.Validate(); err != nil {
		for _, f := range problem.As(err).Fields {
			fs = append(fs, problem.FieldError{Field: "clock." + f.Field, Code: f.Code, Params: f.Params})
		}
	}
	return fs.Err()
}

// required is the number of voting members present the quorum asks for, out of voting members.
func (r Rules) required(voting int) int {
	if r.Quorum == QuorumFixed {
		return r.QuorumFixed
	}
	return voting/2 + 1
}

func init() {
	for _, e := range []struct {
		err            *RuleError
		fr, nl, de, en string
	}{
		{ErrTransition, "Cette étape n'est pas permise dans l'état actuel de la séance.", "Deze stap is niet toegestaan in de huidige toestand van de zitting.", "Dieser Schritt ist im aktuellen Stand der Sitzung nicht erlaubt.", "This step is not allowed in the session's current status."},
		{ErrConvocationLate, "La convocation ne respecte pas le délai de jours francs; en cas d'urgence, motivez-la.", "De oproeping respecteert de termijn van volle dagen niet; motiveer de hoogdringendheid.", "Die Einberufung hält die Frist der vollen Tage nicht ein; begründen Sie die Dringlichkeit.", "The convocation does not leave the clear days required; if urgent, give the reason."},
		{ErrConvocationAfterSession, "La convocation doit être envoyée avant le jour de la séance.", "De oproeping moet vóór de dag van de zitting verstuurd worden.", "Die Einberufung muss vor dem Sitzungstag versandt werden.", "The convocation must be sent before the session day."},
		{ErrAgendaClosed, "L'ordre du jour ne peut plus être modifié une fois la séance ouverte.", "De agenda kan niet meer gewijzigd worden zodra de zitting geopend is.", "Die Tagesordnung kann nach Eröffnung der Sitzung nicht mehr geändert werden.", "The agenda cannot change once the session is opened."},
		{ErrNotValidated, "Seule une proposition validée par le chef du service social peut être mise à l'ordre du jour.", "Alleen een voorstel dat het diensthoofd gevalideerd heeft, kan op de agenda.", "Nur ein von der Leitung des Sozialdienstes validierter Vorschlag kommt auf die Tagesordnung.", "Only a proposal validated by the head of the social service goes on an agenda."},
		{ErrAlreadyOnAgenda, "Ce point est déjà à l'ordre du jour.", "Dit punt staat al op de agenda.", "Dieser Punkt steht bereits auf der Tagesordnung.", "This item is already on the agenda."},
		{ErrNotOnAgenda, "Ce point n'est pas à l'ordre du jour de cette séance.", "Dit punt staat niet op de agenda van deze zitting.", "Dieser Punkt steht nicht auf der Tagesordnung dieser Sitzung.", "This item is not on this session's agenda."},
		{ErrOtherTenant, "Ce point relève d'un autre CPAS.", "Dit punt hoort bij een ander OCMW.", "Dieser Punkt gehört zu einem anderen ÖSHZ.", "This item belongs to another CPAS."},
		{ErrNoRatificationNeeded, "Cette décision urgente a déjà été ratifiée ou refusée.", "Deze dringende beslissing werd al bekrachtigd of geweigerd.", "Diese dringende Entscheidung wurde bereits bestätigt oder abgelehnt.", "This urgent decision was already ratified or refused."},
		{ErrNotMember, "Cette personne n'est pas membre de la séance.", "Deze persoon is geen lid van de zitting.", "Diese Person ist kein Mitglied der Sitzung.", "This person is not a member of the session."},
		{ErrNotVoting, "Le secrétaire ne vote pas.", "De secretaris stemt niet.", "Der Sekretär stimmt nicht ab.", "The secretary does not vote."},
		{ErrNotPresent, "Ce membre n'est pas présent.", "Dit lid is niet aanwezig.", "Dieses Mitglied ist nicht anwesend.", "This member is not present."},
		{ErrAlreadyPresent, "Ce membre est déjà présent.", "Dit lid is al aanwezig.", "Dieses Mitglied ist bereits anwesend.", "This member is already present."},
		{ErrConflictOfInterest, "Ce membre a déclaré un conflit d'intérêts sur ce point et ne vote pas.", "Dit lid heeft een belangenconflict voor dit punt gemeld en stemt niet.", "Dieses Mitglied hat zu diesem Punkt einen Interessenkonflikt erklärt und stimmt nicht ab.", "This member declared a conflict of interest on this item and does not vote."},
		{ErrAlreadyVoted, "Ce membre a déjà voté sur ce point.", "Dit lid heeft al over dit punt gestemd.", "Dieses Mitglied hat zu diesem Punkt bereits abgestimmt.", "This member already voted on this item."},
		{ErrVoteNotStarted, "Le vote sur ce point n'est pas ouvert.", "De stemming over dit punt is niet geopend.", "Die Abstimmung über diesen Punkt ist nicht eröffnet.", "The vote on this item is not open."},
		{ErrVoteStarted, "Le vote sur ce point est déjà ouvert.", "De stemming over dit punt is al geopend.", "Die Abstimmung über diesen Punkt ist bereits eröffnet.", "The vote on this item is already open."},
		{ErrVoteInProgress, "Un vote est en cours: donnez-lui d'abord une issue.", "Er loopt een stemming: geef ze eerst een uitkomst.", "Eine Abstimmung läuft: Geben Sie ihr zuerst ein Ergebnis.", "A vote is in progress: give it an outcome first."},
		{ErrItemDecided, "Ce point a déjà été tranché.", "Over dit punt werd al beslist.", "Über diesen Punkt wurde bereits entschieden.", "This item was already decided."},
		{ErrNoQuorum, "Le quorum n'est pas atteint.", "Het quorum is niet bereikt.", "Das Quorum ist nicht erreicht.", "The quorum is not reached."},
		{ErrNoMajority, "Le vote ne donne pas la majorité requise.", "De stemming levert de vereiste meerderheid niet op.", "Die Abstimmung ergibt nicht die erforderliche Mehrheit.", "The vote does not give the required majority."},
		{ErrMajorityReached, "Le vote a approuvé ce point: il ne peut être rejeté.", "De stemming heeft dit punt goedgekeurd: het kan niet verworpen worden.", "Die Abstimmung hat diesen Punkt angenommen: er kann nicht abgelehnt werden.", "The vote approved this item: it cannot be rejected."},
		{ErrTie, "Égalité des voix: la voix du président est prépondérante et doit être exprimée.", "Staking van stemmen: de stem van de voorzitter is doorslaggevend en moet uitgebracht worden.", "Stimmengleichheit: die Stimme des Vorsitzenden gibt den Ausschlag und muss abgegeben werden.", "Tied vote: the president's casting vote is needed."},
		{ErrNoCastingVote, "Aucune voix prépondérante n'est prévue ici.", "Hier is geen doorslaggevende stem voorzien.", "Hier ist keine ausschlaggebende Stimme vorgesehen.", "No casting vote applies here."},
		{ErrNotSecretary, "Seul le secrétaire clôture la séance.", "Alleen de secretaris sluit de zitting.", "Nur der Sekretär schließt die Sitzung.", "Only the secretary closes the session."},
		{ErrNotPresident, "Seul le président approuve le procès-verbal.", "Alleen de voorzitter keurt de notulen goed.", "Nur der Vorsitzende genehmigt das Protokoll.", "Only the president signs the minutes off."},
		{ErrNotClosed, "La séance n'est pas clôturée.", "De zitting is niet gesloten.", "Die Sitzung ist nicht geschlossen.", "The session is not closed."},
	} {
		problem.RegisterMessages(e.err.code, map[string]string{"fr": e.fr, "nl": e.nl, "de": e.de, "en": e.en})
	}
	for code, texts := range map[string]map[string]string{
		"committee.role_invalid":                  {"fr": "Rôle inconnu (membre, président, secrétaire).", "nl": "Onbekende rol (lid, voorzitter, secretaris).", "de": "Unbekannte Rolle (Mitglied, Vorsitz, Sekretär).", "en": "Unknown role (member, president, secretary)."},
		"committee.one_president":                 {"fr": "La séance a exactement un président.", "nl": "De zitting heeft precies één voorzitter.", "de": "Die Sitzung hat genau einen Vorsitzenden.", "en": "The session has exactly one president."},
		"committee.one_secretary":                 {"fr": "La séance a exactement un secrétaire.", "nl": "De zitting heeft precies één secretaris.", "de": "Die Sitzung hat genau einen Sekretär.", "en": "The session has exactly one secretary."},
		"committee.time_invalid":                  {"fr": "Heure invalide (HH:MM).", "nl": "Ongeldig uur (UU:MM).", "de": "Ungültige Uhrzeit (HH:MM).", "en": "Invalid time (HH:MM)."},
		"committee.urgent_motivation_required":    {"fr": "Une convocation tardive doit être motivée par l'urgence.", "nl": "Een laattijdige oproeping moet met de hoogdringendheid gemotiveerd worden.", "de": "Eine verspätete Einberufung muss mit der Dringlichkeit begründet werden.", "en": "A late convocation needs the reason for the urgency."},
		"committee.attendance_missing":            {"fr": "Indiquez si ce membre est présent, excusé ou absent.", "nl": "Geef aan of dit lid aanwezig, verontschuldigd of afwezig is.", "de": "Geben Sie an, ob dieses Mitglied anwesend, entschuldigt oder abwesend ist.", "en": "Say whether this member is present, excused or absent."},
		"committee.opened_before_day":             {"fr": "La séance ne peut s'ouvrir avant le jour prévu.", "nl": "De zitting kan niet vóór de geplande dag worden geopend.", "de": "Die Sitzung kann nicht vor dem vorgesehenen Tag eröffnet werden.", "en": "The session cannot open before its day."},
		"committee.refusal_without_amount":        {"fr": "Un refus n'accorde ni catégorie ni montant.", "nl": "Een weigering kent geen categorie of bedrag toe.", "de": "Eine Ablehnung gewährt weder Kategorie noch Betrag.", "en": "A refusal grants no category or amount."},
		"committee.amount_required":               {"fr": "Indiquez un montant mensuel positif.", "nl": "Geef een positief maandbedrag op.", "de": "Geben Sie einen positiven Monatsbetrag an.", "en": "Give a positive monthly amount."},
		"committee.end_or_review_required":        {"fr": "Indiquez une date de fin ou de révision.", "nl": "Geef een einddatum of herzieningsdatum op.", "de": "Geben Sie ein End- oder Überprüfungsdatum an.", "en": "Give an end or review date."},
		"committee.date_before_start":             {"fr": "Cette date doit suivre la date de début.", "nl": "Deze datum moet na de begindatum liggen.", "de": "Dieses Datum muss nach dem Beginn liegen.", "en": "This date must come after the start date."},
		"committee.category_invalid":              {"fr": "Catégorie inconnue (1 cohabitant, 2 isolé, 3 famille à charge).", "nl": "Onbekende categorie (1 samenwonende, 2 alleenstaande, 3 gezin ten laste).", "de": "Unbekannte Kategorie (1 zusammenwohnend, 2 alleinstehend, 3 Familie zu Lasten).", "en": "Unknown category (1 cohabitant, 2 single, 3 dependent family)."},
		"committee.new_terms_required":            {"fr": "Un amendement doit donner les nouvelles conditions.", "nl": "Een amendement moet de nieuwe voorwaarden geven.", "de": "Eine Änderung muss die neuen Bedingungen angeben.", "en": "An amendment must give the new terms."},
		"committee.amendment_motivation_required": {"fr": "Motivez l'amendement.", "nl": "Motiveer het amendement.", "de": "Begründen Sie die Änderung.", "en": "Give the reason for the amendment."},
	} {
		problem.RegisterMessages(code, texts)
	}
}

// wrap adds the figures of a refusal to its sentinel.
func wrap(err *RuleError, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{err}, args...)...)
}
