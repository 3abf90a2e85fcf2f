package decisions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/ris"
)

// fakeProposals stands for package proposal (decision.Proposals): the bases by proposal id, and the decided marks.
type fakeProposals struct {
	mu      sync.Mutex
	bases   map[string]decision.Basis
	decided map[string]string
}

func (f *fakeProposals) DecisionBasis(_ context.Context, _, id string) (decision.Basis, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.bases[id]
	if !ok {
		return b, errors.New("no such proposal")
	}
	return b, nil
}

func (f *fakeProposals) Decided(_ context.Context, _, id, decisionID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decided[id] = decisionID
	return nil
}

// codesOf maps each field error of a problem to its code.
func codesOf(body map[string]any) map[string]string {
	out := map[string]string{}
	errs, _ := body["errors"].([]any)
	for _, x := range errs {
		m := x.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// decisionFixture is a tenant with its settings, a worker's Dutch file, a French file, and a registered RIS request.
type decisionFixture struct {
	e                    *env
	w1, w2, head, admin  user
	pNL, fNL, pFR, fFR   string
	reqNL, reqFR         string
	received, decidedOn  civil.Date
	props                *fakeProposals
	settingsVersion      string
	settingsWithoutCourt map[string]any
}

func newDecisionFixture(t *testing.T) *decisionFixture {
	e := newEnv(t)
	fx := &decisionFixture{e: e, w1: user{"gent", uuid.NewString(), "social_worker"}, w2: user{"gent", uuid.NewString(), "social_worker"},
		head: user{"gent", uuid.NewString(), "social_service_head"}, admin: user{"gent", uuid.NewString(), "tenant_admin"},
		props: &fakeProposals{bases: map[string]decision.Basis{}, decided: map[string]string{}}}
	e.app.Decisions.Proposals = fx.props
	fx.pNL, fx.fNL = e.openFile("gent", fx.w1.id, "2026/000101")
	fx.pFR, fx.fFR = uuid.NewString(), uuid.NewString()
	e.feed("gent", projection.TypePersonRegistered, fx.pFR, map[string]any{"person_id": fx.pFR, "family_name": "Dupont",
		"given_names": "Jeanne", "language": "fr", "address": map[string]any{"street": "Rue Haute", "number": "12", "box": "3",
			"postcode": 1000, "municipality": "Bruxelles"}})
	e.feed("gent", projection.TypeFileOpened, fx.fFR, map[string]any{"file_id": fx.fFR, "number": "2026/000102", "person_id": fx.pFR,
		"assignee": fx.w1.id, "opened_on": "2026-01-05", "origin": "manual"})
	today := civil.Today()
	fx.received, fx.decidedOn = today.AddDays(-20), today.AddDays(-5)
	for _, x := range []struct {
		p, f string
		dst  *string
	}{{fx.pNL, fx.fNL, &fx.reqNL}, {fx.pFR, fx.fFR, &fx.reqFR}} {
		st, body, raw, _ := e.call(fx.w1, "POST", "/v1/requests", map[string]any{"person_id": x.p, "file_id": x.f, "kind": "ris",
			"channel": "in_person", "received_on": fx.received.String()})
		if st != 201 {
			t.Fatalf("register: %d %s", st, raw)
		}
		*x.dst = body["id"].(string)
	}
	// The settings: address, service; the labour court comes later (the letter is refused without it).
	_, s, _, h := e.call(fx.admin, "GET", "/v1/settings", nil)
	delete(s, "version")
	s["cpas_name"] = "OCMW Gent"
	s["service_name"] = "Sociale dienst"
	s["address"] = map[string]any{"street": "Onderbergen 86", "postal_code": "9000", "city": "Gent"}
	st, _, raw, h2 := e.call(fx.admin, "PUT", "/v1/settings", s, "If-Match: "+h.Get("Etag"))
	if st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	fx.settingsVersion, fx.settingsWithoutCourt = h2.Get("Etag"), s
	return fx
}

func (fx *decisionFixture) setCourt(t *testing.T) {
	s := fx.settingsWithoutCourt
	s["labour_court"] = map[string]any{"name": "Arbeidsrechtbank Gent", "division": "afdeling Gent",
		"address": map[string]any{"street": "Opgeëistenlaan 401", "postal_code": "9000", "city": "Gent"}}
	st, _, raw, _ := fx.e.call(fx.admin, "PUT", "/v1/settings", s, "If-Match: "+fx.settingsVersion)
	if st != 200 {
		t.Fatalf("settings with court: %d %s", st, raw)
	}
}

// basis is a RIS proposal of domain.md's worked example (cat. 1, 589,05 €/month).
func (fx *decisionFixture) basis(requestID, personID, fileID string) decision.Basis {
	return decision.Basis{ProposalID: uuid.NewString(), RequestID: requestID, RequestNumber: "R2026/000001", PersonID: personID,
		FileID: fileID, Kind: legalclock.RIS, Outcome: letter.Granted,
		LegalBasis: "Articles 3 et 14 de la loi du 26 mai 2002 concernant le droit à l'intégration sociale.",
		Category:   ris.Cohabitant, CategoryJustification: "vit avec sa sœur", MonthlyCents: 58905, FirstMonthCents: 40000,
		Start: fx.received, Review: fx.received.AddDays(300), Periodicity: letter.PaidMonthly, PIIS: true, Payee: decision.Payee{Kind: decision.PayeeBeneficiary},
		Working: ris.Working{{Code: "amount", FR: "Montant catégorie 1", NL: "Bedrag categorie 1", Amount: 1051360},
			{Code: "ris_month", FR: "RIS mensuel", NL: "Maandelijks leefloon", Amount: 58905}},
		Conditions:   []letter.Condition{{Text: "Résidence effective en Belgique", Met: true, Note: "visite à domicile"}},
		Motivation:   "Ressources insuffisantes (motivation confidentielle XYZ).",
		SocialWorker: fx.w1.id, SocialWorkerName: "Marie Assistante", Requested: fx.received}
}

func (fx *decisionFixture) item(b decision.Basis, outcome committee.Outcome) committee.Item {
	return committee.Item{Number: 1, Kind: committee.ItemProposal, Ref: b.ProposalID, PersonRef: b.PersonID, FileRef: b.FileID,
		Aid: b.Kind, Terms: committee.Terms{Category: b.Category, MonthlyAmount: b.MonthlyCents, Start: b.Start, Review: b.Review,
			PIIS: b.PIIS, MotivationRef: "proposal"}, Outcome: outcome}
}

// decide adopts b through ItemDecided as the committee of sessionID and returns the decision id.
func (fx *decisionFixture) decide(t *testing.T, b decision.Basis) string {
	t.Helper()
	fx.props.mu.Lock()
	fx.props.bases[b.ProposalID] = b
	fx.props.mu.Unlock()
	session := uuid.NewString()
	if err := fx.e.app.Decisions.ItemDecided(context.Background(), "gent", session, fx.decidedOn, fx.item(b, committee.Approved)); err != nil {
		t.Fatal(err)
	}
	return decision.SessionDecisionID(session, b.ProposalID)
}

// outbox reads the events a decision left in its outbox.
func (fx *decisionFixture) outbox(t *testing.T, id string) []store.OutboxEntry {
	t.Helper()
	var doc struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := fx.e.db.Collection(decision.CollDecisions).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Outbox
}

func countType(entries []store.OutboxEntry, typ string) int {
	n := 0
	for _, e := range entries {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestDecisionAdoptionAndLetters: adoption through ItemDecided and UrgentDecided (idempotent), the refusals of
// adoption, the letter in Dutch and French with every mandatory mention (HTML and PDF), the letter refused while
// the settings lack the labour court, and who may read what.
func TestDecisionAdoptionAndLetters(t *testing.T) {
	fx := newDecisionFixture(t)
	e := fx.e
	ctx := context.Background()
	bNL := fx.basis(fx.reqNL, fx.pNL, fx.fNL)
	fx.props.bases[bNL.ProposalID] = bNL
	session := uuid.NewString()
	it := fx.item(bNL, committee.Approved)

	t.Run("adoption is idempotent", func(t *testing.T) {
		for range 3 {
			if err := e.app.Decisions.ItemDecided(ctx, "gent", session, fx.decidedOn, it); err != nil {
				t.Fatal(err)
			}
		}
		id := decision.SessionDecisionID(session, bNL.ProposalID)
		_, page, raw, _ := e.call(fx.w1, "GET", "/v1/decisions?file_id="+fx.fNL, nil, purpose)
		if items := page["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("decisions of the file: %s", raw)
		}
		if n := countType(fx.outbox(t, id), decision.TypeAdopted); n != 1 {
			t.Fatalf("%d adoption events", n)
		}
		if fx.props.decided[bNL.ProposalID] != id {
			t.Errorf("proposal not marked decided: %v", fx.props.decided)
		}
		_, req, _, _ := e.call(fx.w1, "GET", "/v1/requests/"+fx.reqNL, nil, purpose)
		if req["status"] != "decided" {
			t.Errorf("request status %v", req["status"])
		}
	})

	t.Run("adoption refusals write nothing", func(t *testing.T) {
		b := fx.basis(fx.reqNL, fx.pNL, fx.fNL)
		fx.props.bases[b.ProposalID] = b
		bad := fx.item(b, committee.Approved)
		bad.Terms.MonthlyAmount = 60000
		s2 := uuid.NewString()
		err := e.app.Decisions.ItemDecided(ctx, "gent", s2, fx.decidedOn, bad)
		var pe *problem.Error
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Code != "decision.amount_mismatch" {
			t.Fatalf("approved amount off the calculation: %v", err)
		}
		amended := fx.item(b, committee.Amended)
		amended.NewTerms = &committee.Terms{Category: 1, MonthlyAmount: 60000, Start: fx.received, Review: fx.received.AddDays(200)}
		if err := e.app.Decisions.ItemDecided(ctx, "gent", s2, fx.decidedOn, amended); !errors.As(err, &pe) {
			t.Fatalf("amendment without motivation: %v", err)
		}
		early := fx.item(b, committee.Amended)
		early.NewTerms = &committee.Terms{Category: 1, MonthlyAmount: 60000, Start: fx.received.AddDays(-3), Review: fx.received.AddDays(200)}
		early.AmendmentMotivationRef = "loyer"
		if err := e.app.Decisions.ItemDecided(ctx, "gent", s2, fx.decidedOn, early); !errors.As(err, &pe) || pe.Fields[0].Code != "decision.start_before_request" {
			t.Fatalf("RIS before the request: %v", err)
		}
		if _, err := e.app.Decisions.Repo.Load(ctx, "gent", decision.SessionDecisionID(s2, b.ProposalID)); err == nil {
			t.Fatal("a refused adoption was stored")
		}
		amended.AmendmentMotivationRef = "Le comité tient compte du loyer."
		if err := e.app.Decisions.ItemDecided(ctx, "gent", s2, fx.decidedOn, amended); err != nil {
			t.Fatal(err)
		}
		rec, err := e.app.Decisions.Repo.Load(ctx, "gent", decision.SessionDecisionID(s2, b.ProposalID))
		if err != nil || rec.State.MonthlyCents != 60000 || !rec.State.Amended || rec.State.AmendmentMotivation == "" {
			t.Fatalf("amended decision %+v %v", rec.State, err)
		}
		// Rejected and postponed items decide nothing.
		for _, o := range []committee.Outcome{committee.Rejected, committee.Postponed} {
			s3 := uuid.NewString()
			if err := e.app.Decisions.ItemDecided(ctx, "gent", s3, fx.decidedOn, fx.item(b, o)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.app.Decisions.Repo.Load(ctx, "gent", decision.SessionDecisionID(s3, b.ProposalID)); err == nil {
				t.Fatalf("%s item decided", o)
			}
		}
	})

	id := decision.SessionDecisionID(session, bNL.ProposalID)
	t.Run("letter refused without the labour court", func(t *testing.T) {
		st, body, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
		if st != http.StatusConflict || codesOf(body)["letter.court.name"] != "decision.mention_missing" {
			t.Fatalf("%d %s", st, raw)
		}
		st, body, raw, _ = e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", map[string]any{"method": "handed",
			"date": fx.decidedOn.String()}, `If-Match: "1"`)
		if st != http.StatusConflict || codesOf(body)["letter.court.address"] == "" {
			t.Fatalf("notification of an incomplete letter: %d %s", st, raw)
		}
	})
	fx.setCourt(t)

	t.Run("letter in Dutch with every mandatory mention, and PDF", func(t *testing.T) {
		st, _, raw, h := e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
		if st != 200 || h.Get("Content-Language") != "nl" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %v %s", st, h, raw)
		}
		html := string(raw)
		for _, want := range []string{"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "drie maanden", "niet opschortend",
			"2026/000101", "Marie Assistante", "Sociale dienst", "589,05", "Categorie", "Peeters", "Kerkstraat 3"} {
			if !strings.Contains(html, want) {
				t.Errorf("Dutch letter lacks %q", want)
			}
		}
		st, _, raw, h = e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter.pdf", nil, purpose)
		if st != 200 || !bytes.HasPrefix(raw, []byte("%PDF")) || h.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf: %d %.20q", st, raw)
		}
	})

	bFR := fx.basis(fx.reqFR, fx.pFR, fx.fFR)
	idFR := fx.decide(t, bFR)
	t.Run("letter in French with every mandatory mention", func(t *testing.T) {
		st, _, raw, h := e.call(fx.head, "GET", "/v1/decisions/"+idFR+"/letter", nil, purpose)
		if st != 200 || h.Get("Content-Language") != "fr" {
			t.Fatalf("%d %s", st, raw)
		}
		html := string(raw)
		for _, want := range []string{"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "trois mois", "pas suspensif",
			"2026/000102", "Marie Assistante", "589,05", "Jeanne Dupont", "Rue Haute 12 bte 3", "Catégorie"} {
			if !strings.Contains(html, want) {
				t.Errorf("French letter lacks %q", want)
			}
		}
		if st, _, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+idFR+"/letter.pdf", nil, purpose); st != 200 || !bytes.HasPrefix(raw, []byte("%PDF")) {
			t.Fatalf("pdf %d", st)
		}
	})

	t.Run("urgent decision: adopted once, ratification refused ends it", func(t *testing.T) {
		u := committee.UrgentState{ID: uuid.NewString(), Tenant: "gent", President: uuid.NewString(), PersonRef: fx.pFR, FileRef: fx.fFR,
			Kind: legalclock.AideSociale, Terms: committee.Terms{MonthlyAmount: 25000, Start: fx.decidedOn, End: fx.decidedOn.AddDays(60),
				MotivationRef: "urgent"}, Motivation: "Expulsion imminente", DecidedAt: time.Now().Add(-96 * time.Hour),
			Ratification: committee.AwaitingRatification}
		for range 2 {
			if err := e.app.Decisions.UrgentDecided(ctx, "gent", u); err != nil {
				t.Fatal(err)
			}
		}
		uid := decision.UrgentDecisionID(u.ID)
		if n := countType(fx.outbox(t, uid), decision.TypeAdopted); n != 1 {
			t.Fatalf("%d adoptions", n)
		}
		rat := committee.Item{Kind: committee.ItemRatification, Ref: u.ID, Outcome: committee.Rejected}
		for range 2 {
			if err := e.app.Decisions.ItemDecided(ctx, "gent", uuid.NewString(), civil.Today(), rat); err != nil {
				t.Fatal(err)
			}
		}
		_, d, _, _ := e.call(fx.head, "GET", "/v1/decisions/"+uid, nil, purpose)
		if d["status"] != "terminated" || d["ratification"] != "refused" || d["source"] != "urgent" {
			t.Fatalf("urgent decision after refusal: %v", d)
		}
		if n := countType(fx.outbox(t, uid), decision.TypeTerminated); n != 1 {
			t.Fatalf("%d terminations", n)
		}
	})

	t.Run("access: worker not on the file, other tenant, finance sees amounts only", func(t *testing.T) {
		for _, path := range []string{"/v1/decisions/" + id, "/v1/decisions/" + id + "/letter"} {
			if st, _, _, _ := e.call(fx.w2, "GET", path, nil, purpose); st != 404 {
				t.Errorf("worker not on the file %s: %d", path, st)
			}
			if st, _, _, _ := e.call(user{"liege", uuid.NewString(), "social_service_head"}, "GET", path, nil, purpose); st != 404 {
				t.Errorf("other tenant %s: %d", path, st)
			}
		}
		if st, _, _, _ := e.call(fx.w2, "POST", "/v1/decisions/"+id+"/notification", map[string]any{"method": "handed",
			"date": fx.decidedOn.String()}, `If-Match: "1"`); st != 404 {
			t.Errorf("worker not on the file notifies: %d", st)
		}
		_, l2, _, _ := e.call(fx.w2, "GET", "/v1/decisions", nil, purpose)
		if n := len(l2["items"].([]any)); n != 0 {
			t.Errorf("worker not on the files lists %d", n)
		}
		_, lo, _, _ := e.call(user{"liege", uuid.NewString(), "accountant"}, "GET", "/v1/decisions", nil, "X-Purpose: payment")
		if n := len(lo["items"].([]any)); n != 0 {
			t.Errorf("other tenant's finance lists %d", n)
		}
		for _, role := range []string{"accountant", "finance_director"} {
			fin := user{"gent", uuid.NewString(), role}
			st, one, raw, _ := e.call(fin, "GET", "/v1/decisions/"+id, nil, "X-Purpose: payment")
			if st != 200 || one["monthly_cents"] != float64(58905) || one["start"] == nil {
				t.Fatalf("%s: %d %s", role, st, raw)
			}
			_, list, rawList, _ := e.call(fin, "GET", "/v1/decisions", nil, "X-Purpose: payment")
			if len(list["items"].([]any)) < 3 {
				t.Errorf("%s lists %s", role, rawList)
			}
			for _, secret := range []string{"motivation", "conditions", "legal_basis", "confidentielle", "sœur", "working", "payee", "notification"} {
				if strings.Contains(string(raw), secret) || strings.Contains(string(rawList), secret) {
					t.Errorf("%s sees %q", role, secret)
				}
			}
			if st, _, _, _ := e.call(fin, "GET", "/v1/decisions/"+id+"/letter", nil, "X-Purpose: payment"); st != 403 {
				t.Errorf("%s reads the letter: %d", role, st)
			}
			if st, _, _, _ := e.call(fin, "POST", "/v1/decisions/"+id+"/revisions", map[string]any{}, `If-Match: "1"`); st != 403 {
				t.Errorf("%s revises: %d", role, st)
			}
		}
		for _, role := range []string{"committee_member", "committee_secretary", "president", "tenant_admin", "dpo"} {
			if st, _, _, _ := e.call(user{"gent", uuid.NewString(), role}, "GET", "/v1/decisions/"+id, nil, purpose); st != 403 {
				t.Errorf("%s: %d", role, st)
			}
		}
		if st, _, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil); st != 422 {
			t.Errorf("no purpose: %d", st)
		}
	})
}

// TestDecisionNotificationAndAfter: the notification (refusals, the same Idempotency-Key twice → one
// notification and one event, the request notified) and every after-decision operation with its refusals; each
// event left in the outbox validates against its schema.
func TestDecisionNotificationAndAfter(t *testing.T) {
	fx := newDecisionFixture(t)
	fx.setCourt(t)
	e := fx.e
	id := fx.decide(t, fx.basis(fx.reqNL, fx.pNL, fx.fNL))
	today := civil.Today()
	version := `If-Match: "1"`

	t.Run("notification refusals", func(t *testing.T) {
		for _, c := range []struct {
			in    map[string]any
			field string
			code  string
		}{
			{map[string]any{"method": "handed", "date": fx.decidedOn.AddDays(-1).String()}, "date", "decision.notified_before_decision"},
			{map[string]any{"method": "handed", "date": today.AddDays(1).String()}, "date", "decision.date_in_future"},
			{map[string]any{"method": "registered_letter", "date": today.String()}, "reference", "decision.registered_number_required"},
			{map[string]any{"method": "pigeon", "date": today.String()}, "method", "decision.method_invalid"},
			{map[string]any{"method": "handed", "date": "03/04/2026"}, "date", "decision.date_invalid"},
		} {
			st, body, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", c.in, version)
			if st != 422 || codesOf(body)[c.field] != c.code {
				t.Errorf("%v: %d %s", c.in, st, raw)
			}
		}
		if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", map[string]any{"method": "handed",
			"date": today.String()}); st != http.StatusPreconditionRequired {
			t.Errorf("without If-Match: %d", st)
		}
		if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", map[string]any{"method": "handed",
			"date": today.String()}, `If-Match: "7"`); st != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match: %d", st)
		}
	})

	t.Run("same Idempotency-Key twice: one notification, one event", func(t *testing.T) {
		in := map[string]any{"method": "registered_letter", "reference": "RR123456789BE", "date": fx.decidedOn.AddDays(2).String()}
		st, a, raw, h := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", in, version, "Idempotency-Key: n-1")
		if st != 200 || a["status"] != "notified" || h.Get("Etag") != `"2"` {
			t.Fatalf("%d %s", st, raw)
		}
		st, b, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", in, version, "Idempotency-Key: n-1")
		if st != 200 || b["version"] != a["version"] {
			t.Fatalf("retry: %d %v", st, b["version"])
		}
		// The same notification without the key (a client that lost it) changes nothing either.
		st, c, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", in, `If-Match: "2"`)
		if st != 200 || c["version"] != a["version"] {
			t.Fatalf("same notification again: %d %v", st, c)
		}
		if n := countType(fx.outbox(t, id), decision.TypeNotified); n != 1 {
			t.Fatalf("%d notified events", n)
		}
		other := map[string]any{"method": "handed", "date": today.String()}
		if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", other, `If-Match: "2"`); st != 409 {
			t.Errorf("another notification: %d", st)
		}
		n := a["notification"].(map[string]any)
		if n["appeal_due"] == nil || n["reference"] != "RR123456789BE" {
			t.Errorf("notification %v", n)
		}
		_, req, _, _ := e.call(fx.w1, "GET", "/v1/requests/"+fx.reqNL, nil, purpose)
		if req["status"] != "notified" {
			t.Errorf("request %v", req["status"])
		}
		_, letterHTML, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
		_ = letterHTML
	})

	ver := 2
	post := func(t *testing.T, path string, in map[string]any, want int) map[string]any {
		t.Helper()
		st, body, raw, h := e.call(fx.w1, "POST", "/v1/decisions/"+id+path, in, `If-Match: "`+itoa(ver)+`"`)
		if st != want {
			t.Fatalf("%s %v: %d %s", path, in, st, raw)
		}
		if st == 200 {
			ver++
			if h.Get("Etag") != `"`+itoa(ver)+`"` {
				t.Fatalf("etag %s, want %d", h.Get("Etag"), ver)
			}
		}
		return body
	}
	start := fx.received
	t.Run("revision", func(t *testing.T) {
		b := post(t, "/revisions", map[string]any{"from": start.AddDays(-1).String(), "monthly_cents": 50000, "reason": "x"}, 422)
		if codesOf(b)["from"] != "decision.revision_before_start" {
			t.Errorf("%v", b)
		}
		b = post(t, "/revisions", map[string]any{"from": start.AddDays(10).String(), "monthly_cents": 58905, "reason": "x"}, 422)
		if codesOf(b)["monthly_cents"] != "decision.amount_unchanged" {
			t.Errorf("%v", b)
		}
		b = post(t, "/revisions", map[string]any{"from": start.AddDays(10).String(), "monthly_cents": 50000, "reason": "Nouveau travail à temps partiel"}, 200)
		if b["current_monthly_cents"] != float64(50000) {
			t.Errorf("%v", b["current_monthly_cents"])
		}
		// Recomputed with the tenant's tables: 4.800 €/year of resources, category 1 → 489,05 €/month.
		calc := map[string]any{"resources": []map[string]any{{"kind": "replacement_income", "period": "yearly", "amount": 480000, "whose": "applicant"}}}
		b = post(t, "/revisions", map[string]any{"from": start.AddDays(20).String(), "monthly_cents": 50000, "reason": "Chômage", "calculation": calc}, 422)
		if codesOf(b)["monthly_cents"] != "decision.amount_not_calculated" {
			t.Errorf("%v", b)
		}
		bad := map[string]any{"resources": []map[string]any{{"kind": "lottery", "period": "yearly", "amount": 1, "whose": "applicant"}}}
		b = post(t, "/revisions", map[string]any{"from": start.AddDays(20).String(), "reason": "Chômage", "calculation": bad}, 422)
		if codesOf(b)["calculation.resources[0].kind"] == "" {
			t.Errorf("%v", b)
		}
		b = post(t, "/revisions", map[string]any{"from": start.AddDays(20).String(), "reason": "Chômage", "calculation": calc}, 200)
		revs := b["revisions"].([]any)
		if b["current_monthly_cents"] != float64(48905) || len(revs[len(revs)-1].(map[string]any)["working"].([]any)) == 0 {
			t.Errorf("recomputed revision: %v %v", b["current_monthly_cents"], revs[len(revs)-1])
		}
	})
	t.Run("suspension", func(t *testing.T) {
		from := start.AddDays(15)
		b := post(t, "/suspensions", map[string]any{"from": from.String(), "to": from.AddDays(45).String(), "reason_code": "piis_breach"}, 422)
		if codesOf(b)["to"] != "decision.suspension_too_long" {
			t.Errorf("%v", b)
		}
		post(t, "/suspensions", map[string]any{"from": from.String(), "to": from.AddDays(45).String(), "reason_code": "nope"}, 422)
		post(t, "/suspensions", map[string]any{"from": from.String(), "to": from.AddDays(20).String(), "reason_code": "piis_breach",
			"note": "Absent à trois rendez-vous"}, 200)
		b = post(t, "/suspensions", map[string]any{"from": from.AddDays(5).String(), "to": from.AddDays(10).String(), "reason_code": "piis_breach", "repeated": true}, 422)
		if codesOf(b)["from"] != "decision.suspension_overlaps" {
			t.Errorf("%v", b)
		}
	})
	t.Run("recovery", func(t *testing.T) {
		b := post(t, "/recoveries", map[string]any{"case": "birthday", "amount_cents": 0, "period_from": start.String(),
			"period_to": start.AddDays(-1).String()}, 422)
		c := codesOf(b)
		if c["case"] != "invalid_choice" || c["amount_cents"] != "decision.amount_invalid" || c["period_to"] != "decision.end_before_start" || c["reason"] != "required" {
			t.Errorf("%v", c)
		}
		post(t, "/recoveries", map[string]any{"case": "resources_received", "amount_cents": 30000, "period_from": start.String(),
			"period_to": start.AddDays(30).String(), "reason": "Arriérés de chômage perçus"}, 200)
	})
	t.Run("appeal and judgment", func(t *testing.T) {
		post(t, "/appeals/judgment", map[string]any{"judged_on": today.String(), "judgment": "confirmed"}, 409)
		b := post(t, "/appeals", map[string]any{"lodged_on": today.AddDays(1).String(), "court_reference": "AR 26/123/A"}, 422)
		if codesOf(b)["lodged_on"] != "decision.date_in_future" {
			t.Errorf("%v", b)
		}
		hasAppealClock := func() bool {
			_, d, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
			for _, x := range d["dues"].([]any) {
				if x.(map[string]any)["clock"] == "appeal" {
					return true
				}
			}
			return false
		}
		if !hasAppealClock() {
			t.Error("notified decision without its appeal window clock")
		}
		post(t, "/appeals", map[string]any{"lodged_on": today.AddDays(-1).String(), "court_reference": "AR 26/123/A"}, 200)
		if hasAppealClock() {
			t.Error("appeal window clock still there once an appeal is lodged")
		}
		post(t, "/appeals", map[string]any{"lodged_on": today.String(), "court_reference": "AR 26/124/A"}, 422)
		b = post(t, "/appeals/judgment", map[string]any{"judged_on": today.AddDays(-2).String(), "judgment": "confirmed"}, 422)
		if codesOf(b)["judged_on"] != "decision.judged_before_appeal" {
			t.Errorf("%v", b)
		}
		b = post(t, "/appeals/judgment", map[string]any{"judged_on": today.String(), "judgment": "reformed"}, 200)
		if ap := b["appeals"].([]any)[0].(map[string]any); ap["judgment"] != "reformed" {
			t.Errorf("%v", ap)
		}
	})
	t.Run("PIIS follow-up clears the board's line", func(t *testing.T) {
		b := post(t, "/piis", map[string]any{"signed_on": fx.decidedOn.AddDays(-1).String()}, 422)
		if codesOf(b)["signed_on"] != "decision.before_decision" {
			t.Errorf("%v", b)
		}
		hasClock := func(m map[string]any, clock string) bool {
			for _, d := range m["dues"].([]any) {
				if d.(map[string]any)["clock"] == clock {
					return true
				}
			}
			return false
		}
		_, before, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
		if !hasClock(before, "piis_conclusion") {
			t.Fatalf("no PIIS line: %v", before["dues"])
		}
		b = post(t, "/piis", map[string]any{"signed_on": today.String(), "evaluations": []string{"", today.String()}}, 200)
		if hasClock(b, "piis_conclusion") {
			t.Errorf("PIIS line still due: %v", b["dues"])
		}
		post(t, "/mediprima", map[string]any{"encoded_on": today.String()}, 409)
	})
	t.Run("termination then nothing more", func(t *testing.T) {
		b := post(t, "/termination", map[string]any{"date": start.AddDays(-2).String(), "reason_code": "other"}, 422)
		if c := codesOf(b); c["date"] != "decision.end_before_start" || c["note"] != "required" {
			t.Errorf("%v", c)
		}
		post(t, "/termination", map[string]any{"date": today.String(), "reason_code": "moved"}, 200)
		post(t, "/revisions", map[string]any{"from": today.String(), "monthly_cents": 1000, "reason": "x"}, 409)
		post(t, "/withdrawal", map[string]any{"date": today.String(), "reason_code": "cpas_error"}, 409)
	})
	t.Run("withdrawal of another decision", func(t *testing.T) {
		id2 := fx.decide(t, fx.basis(fx.reqFR, fx.pFR, fx.fFR))
		st, body, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id2+"/withdrawal", map[string]any{"date": fx.decidedOn.AddDays(-1).String(),
			"reason_code": "false_declaration"}, `If-Match: "1"`)
		if st != 422 || codesOf(body)["date"] != "decision.before_decision" {
			t.Fatalf("%d %s", st, raw)
		}
		st, body, raw, _ = e.call(fx.w1, "POST", "/v1/decisions/"+id2+"/withdrawal", map[string]any{"date": today.String(),
			"reason_code": "false_declaration", "note": "Revenus cachés"}, `If-Match: "1"`)
		if st != 200 || body["status"] != "withdrawn" || body["running"] != false {
			t.Fatalf("%d %s", st, raw)
		}
	})

	t.Run("events in the outbox validate against their schemas, without notes", func(t *testing.T) {
		entries := fx.outbox(t, id)
		seen := map[string]bool{}
		for _, ev := range entries {
			seen[ev.Type] = true
			if ev.Source != decision.EventSource || ev.Subject != id || ev.Tenant != "gent" {
				t.Errorf("attributes %+v", ev)
			}
			if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
				t.Errorf("%s: %v", ev.Type, err)
			}
			for _, secret := range []string{"confidentielle", "temps partiel", "rendez-vous", "chômage", "Peeters", "sœur"} {
				if strings.Contains(ev.Data, secret) {
					t.Errorf("%s carries %q", ev.Type, secret)
				}
			}
		}
		for _, typ := range []string{decision.TypeAdopted, decision.TypeNotified, decision.TypeRevised, decision.TypeSuspended,
			decision.TypeRecoveryDecided, decision.TypeAppealLodged, decision.TypeAppealJudged, decision.TypeTerminated} {
			if !seen[typ] {
				t.Errorf("no %s in the outbox", typ)
			}
		}
		var adopted map[string]any
		for _, ev := range entries {
			if ev.Type == decision.TypeAdopted {
				_ = json.Unmarshal([]byte(ev.Data), &adopted)
			}
		}
		if adopted["monthly_cents"] != float64(58905) || adopted["payee"].(map[string]any)["kind"] != "beneficiary" || adopted["category"] != float64(1) {
			t.Errorf("adopted %v", adopted)
		}
	})
}

// TestDecisionReviews: the yearly review requests one task per review date; a person or household change on a
// person with a running RIS requests one task per change event; the board lists what is due.
func TestDecisionReviews(t *testing.T) {
	fx := newDecisionFixture(t)
	e := fx.e
	ctx := context.Background()
	b := fx.basis(fx.reqNL, fx.pNL, fx.fNL)
	b.Review = fx.received.AddDays(100)
	id := fx.decide(t, b)

	t.Run("yearly review: one task per date", func(t *testing.T) {
		if n, err := e.app.Decisions.RequestReviews(ctx); err != nil || n != 0 {
			t.Fatalf("before the date: %d %v", n, err)
		}
		e.app.Decisions.Now = func() time.Time { return time.Now().AddDate(0, 0, 120) }
		defer func() { e.app.Decisions.Now = nil }()
		for i := range 2 {
			n, err := e.app.Decisions.RequestReviews(ctx)
			if err != nil || (i == 0 && n != 1) || (i == 1 && n != 0) {
				t.Fatalf("round %d: %d %v", i, n, err)
			}
		}
		entries := fx.outbox(t, id)
		if n := countType(entries, decision.TypeTaskRequested); n != 1 {
			t.Fatalf("%d task requests", n)
		}
		for _, ev := range entries {
			if ev.Type == decision.TypeTaskRequested {
				if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
					t.Error(err)
				}
				if !strings.Contains(ev.Data, `"decision_review"`) || !strings.Contains(ev.Data, b.Review.String()) {
					t.Errorf("task %s", ev.Data)
				}
			}
		}
	})

	t.Run("an appeal window past its last day leaves the board", func(t *testing.T) {
		fx.setCourt(t)
		rec, err := e.app.Decisions.Repo.Load(ctx, "gent", id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Decisions.Notify(ctx, kitActor(fx.w1), id, rec.Version, decision.NotificationInput{Method: decision.Handed,
			Date: civil.Today().String()}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.app.Decisions.CloseAppealWindows(ctx); err != nil || n != 0 {
			t.Fatalf("window still running: %d %v", n, err)
		}
		e.app.Decisions.Now = func() time.Time { return time.Now().AddDate(0, 4, 0) }
		defer func() { e.app.Decisions.Now = nil }()
		for i, want := range []int{1, 0} {
			if n, err := e.app.Decisions.CloseAppealWindows(ctx); err != nil || n != want {
				t.Fatalf("round %d: %d %v", i, n, err)
			}
		}
		rec, _ = e.app.Decisions.Repo.Load(ctx, "gent", id)
		for _, d := range rec.State.Dues(legalclock.DefaultRules()) {
			if d.Clock == "appeal" {
				t.Fatal("appeal clock after the window closed")
			}
		}
	})

	t.Run("change on a running RIS: one task per event", func(t *testing.T) {
		ev, err := events.New(projection.TypePersonUpdated, "entraide-beneficiaries", "gent", fx.pNL, uuid.NewString(),
			map[string]any{"person_id": fx.pNL, "family_name": "Peeters", "given_names": "An", "language": "nl"})
		if err != nil {
			t.Fatal(err)
		}
		hh, _ := events.New(decision.TypeHouseholdChanged, "entraide-beneficiaries", "gent", fx.pNL, uuid.NewString(),
			map[string]any{"person_id": fx.pNL, "members": []any{}, "proposal": map[string]any{}})
		other, _ := events.New(decision.TypeHouseholdChanged, "entraide-beneficiaries", "liege", fx.pNL, uuid.NewString(),
			map[string]any{"person_id": fx.pNL, "members": []any{}, "proposal": map[string]any{}})
		for _, x := range []events.Event{ev, ev, hh, hh, other} {
			if err := e.app.Decisions.HandleChange(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		entries := fx.outbox(t, id)
		n := 0
		for _, en := range entries {
			if en.Type == decision.TypeTaskRequested && strings.Contains(en.Data, decision.TaskChangeReview) {
				n++
				if err := eventschema.Validate(en.Type, []byte(en.Data)); err != nil {
					t.Error(err)
				}
			}
		}
		if n != 2 {
			t.Fatalf("%d change tasks, want 2", n)
		}
		bad, _ := events.New(projection.TypePersonUpdated, "entraide-beneficiaries", "gent", fx.pNL, uuid.NewString(), map[string]any{"x": 1})
		if err := e.app.Decisions.HandleChange(ctx, bad); !events.IsPermanent(err) {
			t.Errorf("malformed: %v", err)
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestUrgentDecisionLetterTexts: an urgent RIS decision's letter lacks the calculation until the social service
// completes its texts (not a committee decision's, not once notified); then the letter prints them and the
// notification is recorded.
func TestUrgentDecisionLetterTexts(t *testing.T) {
	fx := newDecisionFixture(t)
	fx.setCourt(t)
	e := fx.e
	ctx := context.Background()
	u := committee.UrgentState{ID: uuid.NewString(), Tenant: "gent", President: uuid.NewString(), PersonRef: fx.pNL, FileRef: fx.fNL,
		Kind: legalclock.RIS, Terms: committee.Terms{Category: ris.Isole, MonthlyAmount: 131420, Start: fx.received,
			Review: fx.received.AddDays(180), MotivationRef: "urgent"}, Motivation: "Expulsion imminente, aucune ressource",
		DecidedAt: time.Now().Add(-48 * time.Hour), Ratification: committee.AwaitingRatification}
	if err := e.app.Decisions.UrgentDecided(ctx, "gent", u); err != nil {
		t.Fatal(err)
	}
	id := decision.UrgentDecisionID(u.ID)
	st, d, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
	if st != 200 || d["request_id"] != fx.reqNL || d["source"] != "urgent" {
		t.Fatalf("urgent decision: %d %s", st, raw)
	}
	_, rq, _, _ := e.call(fx.w1, "GET", "/v1/requests/"+fx.reqNL, nil, purpose)
	if rq["status"] != "decided" {
		t.Errorf("request %v", rq["status"])
	}
	st, body, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
	if st != 409 || codesOf(body)["letter.working"] != "decision.mention_missing" {
		t.Fatalf("letter without the calculation: %d %s", st, raw)
	}
	committeeDecision := fx.decide(t, fx.basis(fx.reqFR, fx.pFR, fx.fFR))
	texts := map[string]any{"legal_basis": "Artikelen 3 en 14 van de wet van 26 mei 2002; artikel 28 van de organieke wet.",
		"category_justification": "Woont alleen in een studio", "motivation": "Geen enkele bron van inkomsten; dreigende uithuiszetting.",
		"working": []map[string]any{{"label": "Bedrag categorie 2 (jaarlijks)", "amount_cents": 1577041}, {"label": "Bestaansmiddelen", "amount_cents": 0}}}
	if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+committeeDecision+"/letter-texts", texts, `If-Match: "1"`); st != 409 {
		t.Errorf("texts of a committee decision: %d", st)
	}
	st, body, _, _ = e.call(fx.w1, "POST", "/v1/decisions/"+id+"/letter-texts", map[string]any{"legal_basis": " ", "motivation": "x",
		"working": []map[string]any{{"label": "", "amount_cents": 5}}}, `If-Match: "1"`)
	if c := codesOf(body); st != 422 || c["legal_basis"] != "required" || c["category_justification"] != "required" || c["working.0.label"] != "required" {
		t.Fatalf("bad texts: %d %v", st, c)
	}
	if st, _, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/letter-texts", texts, `If-Match: "1"`); st != 200 {
		t.Fatalf("texts: %d %s", st, raw)
	}
	st, _, raw, _ = e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
	if st != 200 || !strings.Contains(string(raw), "Bestaansmiddelen") || !strings.Contains(string(raw), "dreigende uithuiszetting") ||
		!strings.Contains(string(raw), "1.314,20") {
		t.Fatalf("letter: %d %.400s", st, raw)
	}
	if st, _, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/notification", map[string]any{"method": "handed",
		"date": civil.Today().String()}, `If-Match: "2"`); st != 200 {
		t.Fatalf("notification: %d %s", st, raw)
	}
	if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/letter-texts", texts, `If-Match: "3"`); st != 409 {
		t.Errorf("texts once notified: %d", st)
	}
}

// kitActor is the actor of a test user, for calls to the service without HTTP.
func kitActor(u user) kit.Actor {
	return kit.Actor{UserID: u.id, Tenant: u.tenant, Roles: []string{u.role}, Name: "Marie Assistante"}
}

// TestConcurrentAdoption: the same session item handed over ten times at once (a retry racing the first call)
// adopts one decision with one event.
func TestConcurrentAdoption(t *testing.T) {
	fx := newDecisionFixture(t)
	b := fx.basis(fx.reqNL, fx.pNL, fx.fNL)
	fx.props.bases[b.ProposalID] = b
	session := uuid.NewString()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			errs <- fx.e.app.Decisions.ItemDecided(context.Background(), "gent", session, fx.decidedOn, fx.item(b, committee.Approved))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	id := decision.SessionDecisionID(session, b.ProposalID)
	if n := countType(fx.outbox(t, id), decision.TypeAdopted); n != 1 {
		t.Fatalf("%d adoption events", n)
	}
	n, err := fx.e.db.Collection(decision.CollDecisions).CountDocuments(context.Background(), bson.D{{Key: "tenant", Value: "gent"}})
	if err != nil || n != 1 {
		t.Fatalf("%d decisions %v", n, err)
	}
}
