package schedule

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/sepa"
)

// The accountant's reissue of a returned payment (domain.md §7: a returned payment is still owed and goes again
// with a new EndToEndId). A beneficiary's payment goes to the account the registry now gives (it must differ from
// the one the bank returned); the hourly ReleaseReturned of package reconcile does the same by itself once the
// registry reports a new account, the route lets the accountant do it at once. A third party's payment (landlord,
// supplier, hospital) waits for the accountant: the corrected creditor — name, IBAN, optional BIC, the structured
// communication kept, corrected or removed — is written on the instalment's payee, which is where the next run
// takes a third party's creditor from when it claims the payment (run.Build). One conditional write of the
// instalment (If-Match on its version, status returned): the payment is back in the due list, its run,
// EndToEndId and creditor cleared (the returned EndToEndId stays in its attempts and returns, never reused: the
// next run numbers a new one), the reissue recorded in `reissues`. No event: instalments carry no outbox (their
// collection is not relayed) and schedule.changed speaks of a decision's terms, which a reissue does not change;
// the next run's run.exported and the statement's payment.booked follow the payment as for any other.

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteInstalment = "GET /v1/instalments/{id}"
	RouteReissue    = "POST /v1/instalments/{id}/reissue"
)

// IfMatchRoutes need If-Match (the instalment's version the accountant saw).
var IfMatchRoutes = []string{RouteReissue}

// CreationRoutes honour an Idempotency-Key (a reissue is decided once).
var CreationRoutes = []string{RouteReissue}

// Reissued is a reissue of a returned payment by the accountant.
type Reissued struct {
	// EndToEndID is the returned attempt's (never reused).
	EndToEndID string `bson:"end_to_end_id" json:"end_to_end_id"`
	// Creditor is the corrected creditor of a third party (nil for a beneficiary: the registry's account is read
	// when the next run is built).
	Creditor *Creditor `bson:"creditor,omitempty" json:"creditor,omitempty"`
	// IBAN is the account the payment goes to next (the beneficiary's, as the registry gave it at the reissue).
	IBAN string `bson:"iban" json:"iban"`
	// ApplyToDecision: the corrected creditor of a third party goes to the decision's later payments too (the
	// schedule records it, payee.go), in place of the accounts it Replaces (the payee's and the returned ones).
	ApplyToDecision bool      `bson:"apply_to_decision,omitempty" json:"apply_to_decision,omitempty"`
	Replaces        []string  `bson:"replaces,omitempty" json:"replaces,omitempty"`
	By              string    `bson:"by" json:"-"`
	At              time.Time `bson:"at" json:"at"`
}

// ReissueInput is the accountant's reissue: nothing for a beneficiary (a confirmation), the corrected creditor for
// a third party. Communication nil keeps the payee's structured communication, "" removes it. ApplyToDecision
// (a third party only; a beneficiary's account is the registry's for every payment anyway) records the corrected
// creditor for the decision's later payments to the same third party too.
type ReissueInput struct {
	Name            string  `json:"name,omitempty"`
	IBAN            string  `json:"iban,omitempty"`
	BIC             string  `json:"bic,omitempty"`
	Communication   *string `json:"communication,omitempty"`
	ApplyToDecision bool    `json:"apply_to_decision,omitempty"`
}

var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// returnedCreditor is the creditor of the attempt the bank returned last (nil when unknown).
func returnedCreditor(in Instalment) (string, *Creditor) {
	if len(in.Returns) == 0 {
		return "", nil
	}
	last := in.Returns[len(in.Returns)-1]
	for _, at := range in.Attempts {
		if at.EndToEndID == last.EndToEndID {
			return last.EndToEndID, at.Creditor
		}
	}
	return last.EndToEndID, nil
}

// thirdParty checks the corrected creditor of a third party against the returned one; all field errors at once.
func thirdParty(in ReissueInput, payee Payee, returned *Creditor) (Payee, error) {
	var fs problem.Fields
	out := Payee{Kind: payee.Kind, Communication: payee.Communication}
	out.Name = strings.Join(strings.Fields(in.Name), " ")
	switch {
	case out.Name == "":
		fs.Add("name", "required")
	case utf8.RuneCountInString(out.Name) > sepa.MaxNameLength || sepa.Text(out.Name, sepa.MaxNameLength) == "":
		fs.Add("name", "payments.creditor_name")
	}
	if strings.TrimSpace(in.IBAN) == "" {
		fs.Add("iban", "required")
	} else if v, err := iban.Parse(in.IBAN); err != nil {
		fs.Add("iban", iban.Code)
	} else {
		out.IBAN = v.String()
	}
	out.BIC = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.BIC), " ", ""))
	if out.BIC != "" && !bicPattern.MatchString(out.BIC) {
		fs.Add("bic", "payments.bic_invalid")
	}
	if in.Communication != nil {
		out.Communication = ""
		if c := strings.TrimSpace(*in.Communication); c != "" {
			v, err := ogm.Parse(c)
			if err != nil {
				fs.Add("communication", ogm.Code)
			} else {
				out.Communication = v.String()
			}
		}
	}
	if err := fs.Err(); err != nil {
		return out, err
	}
	if returned != nil && returned.Name == out.Name && returned.IBAN == out.IBAN && returned.BIC == out.BIC &&
		returned.Communication == out.Communication {
		return out, problem.Invalid(problem.Field("iban", "payments.reissue_unchanged"))
	}
	return out, nil
}

// ReissueReturned puts the returned payment id of the actor's tenant, read at version expected, back in the due
// list: a beneficiary's to the registry's current account (which must differ from the returned one), a third
// party's with the corrected creditor of in. The next run gives it a new EndToEndId. Audited.
func (s *Service) ReissueReturned(ctx context.Context, a kit.Actor, id string, expected int64, in ReissueInput) (store.Versioned[Instalment], error) {
	cur, err := s.Repo.Instalments.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return cur, kit.ErrNotFound
	}
	if err != nil {
		return cur, err
	}
	if cur.Version != expected {
		return cur, &store.ConflictError{Current: cur.Version}
	}
	if cur.State.Status != StatusReturned {
		return cur, problem.New(problem.Conflict).With("code", "payments.not_returned")
	}
	e2e, returned := returnedCreditor(cur.State)
	entry := Reissued{EndToEndID: e2e, By: a.UserID, At: s.now().UTC().Truncate(time.Millisecond)}
	payee := cur.State.Payee
	if payee.Kind == "third_party" {
		if payee, err = thirdParty(in, payee, returned); err != nil {
			s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.reissue", ResourceType: "instalment", ResourceID: id,
				FileID: cur.State.FileID, Outcome: "denied"})
			return cur, err
		}
		entry.Creditor = &Creditor{Name: payee.Name, IBAN: payee.IBAN, BIC: payee.BIC, Communication: payee.Communication}
		entry.IBAN = payee.IBAN
		if in.ApplyToDecision {
			entry.ApplyToDecision, entry.Replaces = true, replacedAccounts(cur.State)
		}
	} else {
		var fs problem.Fields
		for _, f := range []struct{ field, value string }{{"name", in.Name}, {"iban", in.IBAN}, {"bic", in.BIC}} {
			if strings.TrimSpace(f.value) != "" {
				fs.Add(f.field, "payments.account_from_registry")
			}
		}
		if in.Communication != nil && strings.TrimSpace(*in.Communication) != "" {
			fs.Add("communication", "payments.account_from_registry")
		}
		if err := fs.Err(); err != nil {
			s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.reissue", ResourceType: "instalment", ResourceID: id,
				FileID: cur.State.FileID, Outcome: "denied"})
			return cur, err
		}
		p, err := s.Proj.Payee(ctx, a.Tenant, cur.State.PersonID)
		if err != nil && !errors.Is(err, projection.ErrNotFound) {
			return cur, err
		}
		switch {
		case p.IBAN == "" || p.Name() == "":
			err = problem.Invalid(problem.Field("iban", "payments.reissue_no_account"))
		case returned != nil && p.IBAN == returned.IBAN:
			err = problem.Invalid(problem.Field("iban", "payments.reissue_same_account"))
		}
		if err != nil {
			s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.reissue", ResourceType: "instalment", ResourceID: id,
				FileID: cur.State.FileID, Outcome: "denied"})
			return cur, err
		}
		entry.IBAN = p.IBAN
	}
	_, err = s.Repo.Instalments.UpdateIfVersion(ctx, a.Tenant, id, expected, func(x *Instalment) ([]events.Event, error) {
		if x.Status != StatusReturned {
			return nil, problem.New(problem.Conflict).With("code", "payments.not_returned")
		}
		x.Status, x.RunID, x.EndToEndID, x.Creditor, x.Payee = StatusScheduled, "", "", nil, payee
		x.Reissues = append(x.Reissues, entry)
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = kit.ErrNotFound
	}
	if err != nil {
		return cur, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.reissue", ResourceType: "instalment", ResourceID: id, FileID: cur.State.FileID,
		Purpose: "payment"})
	if entry.ApplyToDecision {
		// The correction goes to the schedule and the decision's scheduled payments by the planning, which the
		// hourly planning retries if this one fails (payee.go): the reissue itself is done.
		s.Audit.Record(ctx, a, kit.Entry{Action: "schedule.payee_correct", ResourceType: "schedule", ResourceID: cur.State.DecisionID,
			FileID: cur.State.FileID, Purpose: "payment"})
		if err := s.Reconcile(ctx, a.Tenant, cur.State.DecisionID); err != nil {
			s.warn(ctx, "payee correction left to the hourly planning", err)
		}
	}
	return s.Repo.Instalments.Load(ctx, a.Tenant, id)
}

// replacedAccounts are the accounts a third party's correction replaces: the payee's at the reissue and those the
// bank returned this payment from.
func replacedAccounts(in Instalment) []string {
	var out []string
	add := func(v string) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(in.Payee.IBAN)
	for _, r := range in.Returns {
		for _, at := range in.Attempts {
			if at.EndToEndID == r.EndToEndID && at.Creditor != nil {
				add(at.Creditor.IBAN)
			}
		}
	}
	return out
}

// AttemptView is a run the payment went into, as finance sees it.
type AttemptView struct {
	RunID       string    `json:"run_id"`
	EndToEndID  string    `json:"end_to_end_id"`
	At          time.Time `json:"at"`
	AmountCents int64     `json:"amount_cents,omitempty"`
	Creditor    *Creditor `json:"creditor,omitempty"`
}

// Detail is one instalment as finance sees it: the list's view, its version, its attempts, booking, returns and
// reissues; for a returned payment the account the bank returned and, for a beneficiary, the account the registry
// now gives (what a reissue would pay to).
type Detail struct {
	View
	Version      int64         `json:"version"`
	PayeeBIC     string        `json:"payee_bic,omitempty"`
	Attempts     []AttemptView `json:"attempts"`
	Booking      *Booking      `json:"booking,omitempty"`
	Returns      []Return      `json:"returns"`
	Reissues     []Reissued    `json:"reissues"`
	ReturnedIBAN string        `json:"returned_iban,omitempty"`
	ReturnedName string        `json:"returned_name,omitempty"`
	AccountIBAN  string        `json:"account_iban,omitempty"`
	AccountName  string        `json:"account_name,omitempty"`
	// Reissuable: returned, and (a beneficiary) the registry gives another account than the returned one.
	Reissuable bool `json:"reissuable"`
}

// Headers sets the ETag.
func (d Detail) Headers() http.Header { return http.Header{"Etag": {kit.ETag(d.Version)}} }

// Instalment reads one instalment of the actor's tenant (finance), audited with the purpose.
func (s *Service) Instalment(ctx context.Context, a kit.Actor, id, purpose string) (Detail, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Detail{}, err
	}
	v, err := s.Repo.Instalments.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return Detail{}, kit.ErrNotFound
	}
	if err != nil {
		return Detail{}, err
	}
	files, err := s.Proj.Files(ctx, a.Tenant, []string{v.State.FileID})
	if err != nil {
		return Detail{}, err
	}
	in := v.State
	d := Detail{View: s.ViewOf(ctx, a.Tenant, v, files), Version: v.Version, Attempts: []AttemptView{}, Booking: in.Booking,
		Returns: in.Returns, Reissues: in.Reissues}
	if in.Creditor != nil {
		d.PayeeBIC = in.Creditor.BIC
	} else if in.Payee.Kind == "third_party" {
		d.PayeeBIC = in.Payee.BIC
	}
	for _, at := range in.Attempts {
		d.Attempts = append(d.Attempts, AttemptView{RunID: at.RunID, EndToEndID: at.EndToEndID, At: at.At, AmountCents: at.AmountCents,
			Creditor: at.Creditor})
	}
	if d.Returns == nil {
		d.Returns = []Return{}
	}
	if d.Reissues == nil {
		d.Reissues = []Reissued{}
	}
	if in.Status == StatusReturned {
		_, returned := returnedCreditor(in)
		if returned != nil {
			d.ReturnedIBAN, d.ReturnedName = returned.IBAN, returned.Name
		}
		d.Reissuable = in.Payee.Kind == "third_party"
		if in.Payee.Kind != "third_party" {
			if p, err := s.Proj.Payee(ctx, a.Tenant, in.PersonID); err == nil && p.IBAN != "" {
				d.AccountIBAN, d.AccountName = p.IBAN, p.Name()
				d.Reissuable = p.IBAN != d.ReturnedIBAN && p.Name() != ""
			}
		}
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.read", ResourceType: "instalment", ResourceID: id, FileID: in.FileID, Purpose: purpose})
	return d, nil
}

type reissueRequest struct {
	id      string
	version int64
	in      ReissueInput
}

// reissueRoutes are the routes of this file (in KitRoutes).
func (s *Service) reissueRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteInstalment, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			return s.Instalment(ctx, a, r.id, r.purpose)
		}},
		{Pattern: RouteReissue, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			rr := reissueRequest{id: id, version: v}
			if r.ContentLength != 0 {
				err = httpkit.DecodeJSON(r, &rr.in, kit.MaxJSON)
			}
			return rr, err
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rr := req.(reissueRequest)
			if _, err := s.ReissueReturned(ctx, a, rr.id, rr.version, rr.in); err != nil {
				return nil, err
			}
			return s.Instalment(ctx, a, rr.id, "payment")
		}},
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.not_returned": {"fr": "Ce paiement n'est pas (ou plus) retourné par la banque.",
			"nl": "Deze betaling is niet (of niet meer) door de bank teruggestort.",
			"de": "Diese Zahlung ist nicht (oder nicht mehr) von der Bank zurückgegeben.",
			"en": "This payment is not (or no longer) returned by the bank."},
		"payments.creditor_name": {"fr": "Nom du bénéficiaire : 70 caractères au plus, en lettres latines.",
			"nl": "Naam van de begunstigde: hoogstens 70 tekens, in Latijnse letters.",
			"de": "Name des Empfängers: höchstens 70 Zeichen, in lateinischen Buchstaben.",
			"en": "Payee name: 70 characters at most, in Latin letters."},
		"payments.reissue_unchanged": {"fr": "Le bénéficiaire corrigé est identique à celui que la banque a retourné.",
			"nl": "De verbeterde begunstigde is dezelfde als die welke de bank heeft teruggestort.",
			"de": "Der korrigierte Empfänger ist derselbe, den die Bank zurückgegeben hat.",
			"en": "The corrected payee is the one the bank returned."},
		"payments.reissue_same_account": {"fr": "Le registre donne toujours le compte que la banque a retourné : attendez le nouveau compte.",
			"nl": "Het register geeft nog steeds de rekening die de bank heeft teruggestort: wacht op de nieuwe rekening.",
			"de": "Das Register nennt noch das Konto, das die Bank zurückgegeben hat: warten Sie auf das neue Konto.",
			"en": "The registry still gives the account the bank returned: wait for the new account."},
		"payments.reissue_no_account": {"fr": "Le registre ne donne aucun compte pour ce bénéficiaire.",
			"nl": "Het register geeft geen rekening voor deze begunstigde.",
			"de": "Das Register nennt kein Konto für diesen Empfänger.",
			"en": "The registry gives no account for this beneficiary."},
		"payments.account_from_registry": {"fr": "Le compte d'un bénéficiaire vient du registre : ne le saisissez pas ici.",
			"nl": "De rekening van een begunstigde komt uit het register: vul ze hier niet in.",
			"de": "Das Konto eines Empfängers kommt aus dem Register: hier nicht eingeben.",
			"en": "A beneficiary's account comes from the registry: do not enter it here."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
