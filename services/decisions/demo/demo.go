// Package demo fills the demo tenant of the embedded default with aid decisions' data: requests at every stage of
// their life (new, in inquiry, a proposal awaiting the head, proposed, on the next session's agenda, decided,
// notified, appealed, one decided urgently by the president awaiting ratification, one late), a past committee
// session with its attendance, votes, outcomes and approved minutes, and the next session planned and convened.
//
// It goes through the service layer (an App of its own on the service's database, without HTTP nor relay: the
// running service's relay publishes the outbox), as the staff would, so every number, event, audit record and
// legal clock is produced as in real use. The services' clocks are moved along a timeline so that the past steps
// happen on their own dates (a request received 40 days ago is registered that day, the past session is planned,
// convened and held on its dates). It needs the beneficiary registry's demo files in the projection first.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/inquiry"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/proposal"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/session"
	"github.com/entraide/entraide/services/decisions/urgent"
)

// Tenant is the demo tenant's code (the identity service's demo tenant).
const Tenant = "demo"

// CollMarker holds one document per seeded tenant: the seed runs once, even when it stopped half-way (a tenant
// in use is never seeded again).
const CollMarker = "demo_seed"

// Person is a member of the staff: the user id of their login and the name printed in letters and minutes.
type Person struct {
	UserID string
	Name   string
}

// Staff are the demo tenant's users the data is made for.
type Staff struct {
	// Tenant [Tenant].
	Tenant string
	// Head validates the proposals.
	Head Person
	// Workers are the social workers; a file is handled by its assignee when they are one of them.
	Workers []Person
	// President, Secretary and Members (voting, besides the president) form the committee: with three members
	// or more, a member may be excused and the quorum still holds.
	President Person
	Secretary Person
	Members   []Person
}

func (s Staff) check() error {
	var missing []string
	for name, p := range map[string]Person{"head": s.Head, "president": s.President, "secretary": s.Secretary} {
		if !kit.IsUUID(p.UserID) {
			missing = append(missing, name)
		}
	}
	if len(s.Workers) == 0 || len(s.Members) < 2 {
		missing = append(missing, "workers or members")
	}
	for _, p := range slices.Concat(s.Workers, s.Members) {
		if !kit.IsUUID(p.UserID) {
			missing = append(missing, "user id")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("demo: staff incomplete: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Result tells what Seed made.
type Result struct {
	// Seeded is false when the tenant had been seeded already and nothing was done.
	Seeded    bool
	Requests  int
	Sessions  int
	Decisions int
}

// Seeded tells whether tenant's demo was seeded (or started to be).
func Seeded(ctx context.Context, db *mongo.Database, tenant string) (bool, error) {
	if tenant == "" {
		tenant = Tenant
	}
	n, err := db.Collection(CollMarker).CountDocuments(ctx, bson.D{{Key: "_id", Value: tenant}})
	return n > 0, err
}

// ProjectedFiles counts the files of tenant the projection holds (open or closed).
func ProjectedFiles(ctx context.Context, db *mongo.Database, tenant string) (int64, error) {
	return db.Collection(projection.CollFiles).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}})
}

// ProjectedPersons counts the persons of tenant the projection holds.
func ProjectedPersons(ctx context.Context, db *mongo.Database, tenant string) (int64, error) {
	return db.Collection(projection.CollPersons).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}})
}

// Seed seeds the demo data of staff.Tenant on db (the decisions service's database, cfg its configuration) unless
// it was seeded before. It needs the projection to hold the registry's demo files (see ProjectedFiles).
func Seed(ctx context.Context, cfg decisions.Config, db *mongo.Database, staff Staff) (Result, error) {
	if staff.Tenant == "" {
		staff.Tenant = Tenant
	}
	if err := staff.check(); err != nil {
		return Result{}, err
	}
	_, err := db.Collection(CollMarker).InsertOne(ctx, bson.D{{Key: "_id", Value: staff.Tenant}, {Key: "state", Value: "started"},
		{Key: "started_at", Value: time.Now().UTC()}})
	if mongo.IsDuplicateKeyError(err) {
		return Result{}, nil
	} else if err != nil {
		return Result{}, fmt.Errorf("demo: marker: %w", err)
	}
	// The service as it runs, minus HTTP and the relay: no token is verified here, and the outbox is published by
	// the running service's relay.
	cfg.KafkaBrokers, cfg.Registerer, cfg.Listener = nil, nil, nil
	app, err := decisions.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		return Result{}, err
	}
	s := &seeder{app: app, staff: staff, today: civil.Today(), clock: &clock{}}
	for _, set := range []*func() time.Time{&app.Requests.Now, &app.Inquiries.Now, &app.Proposals.Now, &app.Sessions.Now,
		&app.Decisions.Now, &app.Urgent.Now} {
		*set = s.clock.now
	}
	ctx = httpkit.WithRequestID(ctx, "demo-seed")
	if err := s.run(ctx); err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	if _, err := db.Collection(CollMarker).UpdateOne(ctx, bson.D{{Key: "_id", Value: staff.Tenant}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: "done"}, {Key: "done_at", Value: time.Now().UTC()}}}}); err != nil {
		return Result{}, fmt.Errorf("demo: marker: %w", err)
	}
	s.res.Seeded = true
	return s.res, nil
}

// clock is the services' clock during the seed: each step sets it to its moment.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type seeder struct {
	app   *decisions.App
	staff Staff
	today civil.Date
	clock *clock
	res   Result

	files []projection.File // open files usable, in number order
	next  int
	steps []step
}

// step is one action of the timeline at its moment.
type step struct {
	at   time.Time
	name string
	fn   func(ctx context.Context) error
}

// at is 'hh:mm' (Brussels) on day d, never later than now (a step of today happens now at the latest).
func (s *seeder) at(d civil.Date, hh, mm int) time.Time {
	t := d.Start().Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	if now := time.Now(); t.After(now) {
		return now
	}
	return t
}

func (s *seeder) add(at time.Time, name string, fn func(ctx context.Context) error) {
	s.steps = append(s.steps, step{at: at, name: name, fn: fn})
}

func (s *seeder) actor(p Person, roles ...string) kit.Actor {
	return kit.Actor{UserID: p.UserID, Tenant: s.staff.Tenant, Roles: roles, Name: p.Name}
}

func (s *seeder) head() kit.Actor { return s.actor(s.staff.Head, kit.RoleHead) }
func (s *seeder) secretary() kit.Actor {
	return s.actor(s.staff.Secretary, committee.TokenCommitteeSecretary)
}
func (s *seeder) president() kit.Actor { return s.actor(s.staff.President, committee.TokenPresident) }

// loadFiles lists the open files of the tenant assigned to one of the staff's workers, whose applicant is
// projected, in number order.
func (s *seeder) loadFiles(ctx context.Context) error {
	var out []projection.File
	for _, w := range s.staff.Workers {
		ids, err := s.app.Projection.WorkerFileIDs(ctx, s.staff.Tenant, w.UserID)
		if err != nil {
			return err
		}
		files, err := s.app.Projection.Files(ctx, s.staff.Tenant, ids)
		if err != nil {
			return err
		}
		for _, f := range files {
			if !f.Open || f.PersonID == "" || s.worker(f).UserID == "" {
				continue
			}
			if _, err := s.app.Projection.Person(ctx, s.staff.Tenant, f.PersonID); err != nil {
				continue
			}
			if !slices.ContainsFunc(out, func(o projection.File) bool { return o.ID == f.ID }) {
				out = append(out, f)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	s.files = out
	return nil
}

// worker is the staff's worker the file is assigned to (zero when none).
func (s *seeder) worker(f projection.File) Person {
	for _, w := range s.staff.Workers {
		if w.UserID == f.Assignee {
			return w
		}
	}
	return Person{}
}

// req is one demo request as it moves along the timeline.
type req struct {
	label      string
	kind       legalclock.Kind
	subtype    letter.Subtype
	channel    request.Channel
	received   civil.Date
	file       projection.File
	worker     kit.Actor
	id         string
	inquiryVer int64
	proposal   string
	propVer    int64
}

// register enters r in the register on its received day, on the next usable file (a file closed meanwhile in
// the registry is skipped).
func (s *seeder) register(r *req) {
	s.add(s.at(r.received, 9, 30), "register "+r.label, func(ctx context.Context) error {
		for s.next < len(s.files) {
			f := s.files[s.next]
			s.next++
			w := s.actor(s.worker(f), kit.RoleSocialWorker)
			rec, err := s.app.Requests.Register(ctx, w, request.Input{PersonID: f.PersonID, FileID: f.ID, Kind: r.kind,
				Subtype: r.subtype, Channel: r.channel, ReceivedOn: r.received.String(),
				Note: "Demande de démonstration (" + r.label + ")."})
			if err != nil {
				if problem.As(err).Type == problem.Validation {
					continue // closed in the registry meanwhile
				}
				return err
			}
			r.id, r.file, r.worker = rec.ID, f, w
			s.res.Requests++
			return nil
		}
		return errors.New("not enough open demo files in the projection")
	})
}

func met(code, note string) inquiry.Condition {
	yes := true
	return inquiry.Condition{Code: code, Met: &yes, Note: note}
}

// inquire writes r's social inquiry on day d: complete (every condition checked) or begun only.
func (s *seeder) inquire(r *req, d civil.Date, complete bool, resources []ris.Resource) {
	s.add(s.at(d, 10, 0), "inquiry "+r.label, func(ctx context.Context) error {
		rep := inquiry.Report{
			Identity:  inquiry.Identity{Checked: true, Document: "Carte d'identité électronique"},
			Residence: inquiry.Residence{HomeVisitOn: d, Findings: "Visite à domicile : logement conforme à la déclaration."},
			Resources: resources,
			Needs:     "Besoins de base (logement, alimentation, énergie).",
			Hearing:   inquiry.Hearing{AppointmentOn: d.AddDays(3), Time: "10:00", Place: "CPAS, bureau 2"},
		}
		if rep.Resources == nil {
			rep.Resources = []ris.Resource{}
		}
		codes := inquiry.ConditionsFor(r.kind)
		if !complete {
			codes = codes[:1]
		}
		for _, c := range codes {
			rep.Conditions = append(rep.Conditions, met(c, "Vérifié lors de l'entretien et de la visite."))
		}
		if complete {
			rep.Conclusion = "Les conditions d'octroi sont remplies."
		}
		rec, err := s.app.Inquiries.Put(ctx, r.worker, r.id, 0, rep)
		if err != nil {
			return err
		}
		r.inquiryVer = rec.Version
		return nil
	})
}

// propose writes and submits r's proposal on day d; validate, when set, is the head's validation day.
func (s *seeder) propose(r *req, d civil.Date, in func() (proposal.Input, error), validate civil.Date) {
	s.add(s.at(d, 11, 0), "proposal "+r.label, func(ctx context.Context) error {
		pin, err := in()
		if err != nil {
			return err
		}
		rec, err := s.app.Proposals.Create(ctx, r.worker, r.id, pin)
		if err != nil {
			return err
		}
		if rec, err = s.app.Proposals.Submit(ctx, r.worker, rec.ID, rec.Version); err != nil {
			return err
		}
		r.proposal, r.propVer = rec.ID, rec.Version
		return nil
	})
	if validate.IsZero() {
		return
	}
	s.add(s.at(validate, 15, 0), "validation "+r.label, func(ctx context.Context) error {
		rec, err := s.app.Proposals.Validate(ctx, s.head(), r.proposal, r.propVer)
		if err == nil {
			r.propVer = rec.Version
		}
		return err
	})
}

// risProposal is a RIS proposal of category cat from the request's day, with the amount the tenant's tables give.
func (s *seeder) risProposal(r *req, cat ris.Category, justification string, resources []ris.Resource) func() (proposal.Input, error) {
	return func() (proposal.Input, error) {
		if resources == nil {
			resources = []ris.Resource{}
		}
		res, err := s.app.Proposals.Calculate(context.Background(), r.worker, ris.Input{Category: cat, From: r.received, Resources: resources})
		if err != nil {
			return proposal.Input{}, err
		}
		return proposal.Input{Outcome: letter.Granted,
			LegalBasis: "Articles 3 et 14 de la loi du 26 mai 2002 concernant le droit à l'intégration sociale.",
			Category:   cat, CategoryJustification: justification, Resources: resources, MonthlyCents: res.Monthly,
			Start: r.received.String(), Review: r.received.AddYears(1).String(), PIIS: true,
			Payee:      proposal.Payee{Kind: proposal.PayBeneficiary},
			Motivation: "Les ressources du demandeur sont inférieures au montant du revenu d'intégration de sa catégorie ; les conditions de l'article 3 sont remplies."}, nil
	}
}

// onceProposal is an aide sociale paid once.
func onceProposal(cents ris.Cents, start civil.Date, payee proposal.Payee, motivation string) func() (proposal.Input, error) {
	return func() (proposal.Input, error) {
		return proposal.Input{Outcome: letter.Granted, LegalBasis: "Article 1er et article 57, § 1er, de la loi organique des CPAS du 8 juillet 1976.",
			OneOffCents: cents, Periodicity: letter.PaidOnce, Start: start.String(), End: start.AddDays(30).String(), Payee: payee, Motivation: motivation}, nil
	}
}

// weekday is d, or the closest weekday before it (back) or after it.
func weekday(d civil.Date, back bool) civil.Date {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		if back {
			d = d.AddDays(-1)
		} else {
			d = d.AddDays(1)
		}
	}
	return d
}

func (s *seeder) run(ctx context.Context) error {
	if err := s.settings(ctx); err != nil {
		return err
	}
	if err := s.loadFiles(ctx); err != nil {
		return err
	}
	T := s.today
	P := weekday(T.AddDays(-8), true) // the past session
	N := weekday(T.AddDays(14), false)

	late := &req{label: "en retard", kind: legalclock.RIS, channel: request.InPerson, received: T.AddDays(-40)}
	decided := &req{label: "décidée", kind: legalclock.RIS, channel: request.InPerson, received: P.AddDays(-20)}
	notified := &req{label: "notifiée", kind: legalclock.AideSociale, subtype: letter.Energy, channel: request.Written, received: P.AddDays(-19)}
	appealed := &req{label: "en recours", kind: legalclock.RIS, channel: request.InPerson, received: P.AddDays(-18)}
	rejected := &req{label: "refusée en séance", kind: legalclock.AideSociale, subtype: letter.RentGuarantee, channel: request.InPerson, received: P.AddDays(-17)}
	agenda := &req{label: "à l'ordre du jour", kind: legalclock.RIS, channel: request.InPerson, received: T.AddDays(-12)}
	proposed := &req{label: "proposée", kind: legalclock.AideSociale, subtype: letter.MedicalCosts, channel: request.Representative, received: T.AddDays(-10)}
	toValidate := &req{label: "proposition à valider", kind: legalclock.AideSociale, subtype: letter.Food, channel: request.InPerson, received: T.AddDays(-8)}
	urgentReq := &req{label: "décision urgente", kind: legalclock.RIS, channel: request.InPerson, received: T.AddDays(-6)}
	inInquiry := &req{label: "en enquête", kind: legalclock.RIS, channel: request.Written, received: T.AddDays(-4)}
	newAMU := &req{label: "nouvelle AMU", kind: legalclock.AMU, channel: request.ExOfficio, received: T.AddDays(-1)}
	newRIS := &req{label: "nouvelle", kind: legalclock.RIS, channel: request.InPerson, received: T}

	for _, r := range []*req{late, decided, notified, appealed, rejected, agenda, proposed, toValidate, urgentReq, inInquiry, newAMU, newRIS} {
		s.register(r)
	}
	// The late request: its inquiry begun, never finished; the decision clock ran out.
	s.inquire(late, T.AddDays(-33), false, nil)

	// The past session's four requests.
	income := []ris.Resource{{Kind: "replacement_income", Period: ris.Yearly, Amount: 360000, Whose: ris.Applicant}}
	for _, r := range []*req{decided, notified, appealed, rejected} {
		var res []ris.Resource
		if r == appealed {
			res = income
		}
		s.inquire(r, P.AddDays(-16), true, res)
	}
	s.propose(decided, P.AddDays(-15), s.risProposal(decided, ris.Isole, "Vit seul dans un studio.", nil), P.AddDays(-14))
	s.propose(notified, P.AddDays(-15), onceProposal(35000, P.AddDays(-15), proposal.Payee{Kind: proposal.PayBeneficiary},
		"Facture de régularisation d'énergie que les revenus du ménage ne permettent pas de payer."), P.AddDays(-14))
	s.propose(appealed, P.AddDays(-15), s.risProposal(appealed, ris.Cohabitant, "Cohabite avec sa sœur, qui a ses propres revenus.", income), P.AddDays(-14))
	s.propose(rejected, P.AddDays(-15), onceProposal(120000, P.AddDays(-15), proposal.Payee{Kind: proposal.PayThirdParty,
		Name: "Immo Démo SPRL", IBAN: "BE68539007547034"}, "Garantie locative d'un nouveau logement (deux mois de loyer)."), P.AddDays(-14))
	s.pastSession(P, []*req{decided, notified, appealed, rejected})

	// Recent requests.
	s.inquire(agenda, T.AddDays(-9), true, nil)
	s.propose(agenda, T.AddDays(-7), s.risProposal(agenda, ris.Isole, "Vit seule depuis la séparation.", nil), T.AddDays(-6))
	s.inquire(proposed, T.AddDays(-7), true, nil)
	s.propose(proposed, T.AddDays(-4), onceProposal(18000, T.AddDays(-4), proposal.Payee{Kind: proposal.PayBeneficiary},
		"Frais pharmaceutiques d'un traitement de longue durée non remboursés."), T.AddDays(-3))
	s.inquire(toValidate, T.AddDays(-5), true, nil)
	s.propose(toValidate, T.AddDays(-1), onceProposal(15000, T.AddDays(-1), proposal.Payee{Kind: proposal.PayBeneficiary},
		"Colis alimentaires et bons d'achat pour un mois."), civil.Date{})
	s.inquire(inInquiry, T.AddDays(-1), false, nil)
	var urgentID string
	s.add(s.at(T.AddDays(-2), 17, 0), "urgent decision", func(ctx context.Context) error {
		res, err := s.app.Proposals.Calculate(ctx, urgentReq.worker, ris.Input{Category: ris.Isole, From: urgentReq.received, Resources: []ris.Resource{}})
		if err != nil {
			return err
		}
		rec, err := s.app.Urgent.Decide(ctx, s.president(), urgent.Input{RequestID: urgentReq.id, Category: ris.Isole,
			MonthlyAmount: res.Monthly, Start: urgentReq.received, Review: urgentReq.received.AddDays(90),
			Motivation: "Expulsion du logement imminente : l'aide ne pouvait attendre la séance du comité."})
		if err != nil {
			return err
		}
		urgentID = rec.ID
		s.res.Decisions++
		// The worker completes the letter of the president's decision (legal grounds, category, calculation).
		did := decision.UrgentDecisionID(rec.ID)
		d, err := s.app.Decisions.Repo.Load(ctx, s.staff.Tenant, did)
		if err != nil {
			return err
		}
		working := make([]decision.WorkingLine, 0, len(res.Working))
		for _, l := range res.Working {
			working = append(working, decision.WorkingLine{Label: l.FR, AmountCents: l.Amount})
		}
		_, err = s.app.Decisions.CompleteLetter(ctx, urgentReq.worker, did, d.Version, decision.LetterTextsInput{
			LegalBasis:            "Articles 3 et 14 de la loi du 26 mai 2002 ; article 28 de la loi organique des CPAS du 8 juillet 1976 (décision du président en cas d'urgence).",
			CategoryJustification: "Vit seul depuis la perte de son logement.",
			Motivation:            "Le demandeur est menacé d'expulsion et n'a aucune ressource ; l'aide ne pouvait attendre la séance du comité, qui la ratifiera.",
			Working:               working})
		return err
	})
	s.nextSession(N, agenda, &urgentID)

	sort.SliceStable(s.steps, func(i, j int) bool { return s.steps[i].at.Before(s.steps[j].at) })
	for _, st := range s.steps {
		s.clock.set(st.at)
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	s.clock.set(time.Time{})
	return nil
}

// settings gives the demo CPAS the address and labour court its letters need, when the admin has not set them.
func (s *seeder) settings(ctx context.Context) error {
	cur, err := s.app.Settings.Get(ctx, s.staff.Tenant)
	if err != nil {
		return err
	}
	st := cur.State
	if !st.Address.IsZero() && st.LabourCourt.Name != "" {
		return nil
	}
	st.CPASName = "CPAS de Démo"
	st.Address = letter.Address{Street: "Rue de l'Entraide 1", PostalCode: "1000", City: "Bruxelles"}
	st.EnterpriseNumber = "0207.123.407"
	st.Phone, st.Email = "+32 2 555 00 00", "social@demo.entraide.invalid"
	st.LabourCourt = letter.LabourCourt{Name: "Tribunal du travail francophone de Bruxelles",
		Address: letter.Address{Street: "Boulevard de Waterloo 70", PostalCode: "1000", City: "Bruxelles"}}
	_, err = s.app.Settings.Put(ctx, s.staff.Tenant, cur.Version, st)
	return err
}

// members are the session's members: the president, the voting members and the secretary.
func (s *seeder) members() []session.Member {
	ms := []session.Member{{UserID: s.staff.President.UserID, Role: committee.RolePresident, Name: s.staff.President.Name}}
	for _, m := range s.staff.Members {
		ms = append(ms, session.Member{UserID: m.UserID, Role: committee.RoleMember, Name: m.Name})
	}
	return append(ms, session.Member{UserID: s.staff.Secretary.UserID, Role: committee.RoleSecretary, Name: s.staff.Secretary.Name})
}

// pastSession plans and convenes the session of day P, puts the four proposals on its agenda, holds it (one
// member excused: the quorum holds), votes in both modes, approves three items and rejects one, closes it; the
// president approves the minutes the next day. Then the decisions go out: one notified, one notified and appealed.
func (s *seeder) pastSession(P civil.Date, items []*req) {
	var id string
	s.add(s.at(P.AddDays(-13), 9, 0), "past session planned", func(ctx context.Context) error {
		rec, err := s.app.Sessions.Plan(ctx, s.secretary(), session.PlanInput{Date: P, Time: "14:00", Place: "Salle du conseil", Members: s.members()})
		if err != nil {
			return err
		}
		id = rec.ID
		s.res.Sessions++
		if _, err := s.app.Sessions.Convene(ctx, s.secretary(), id, rec.Version, false, ""); err != nil {
			return err
		}
		for _, r := range items {
			if _, err := s.app.Sessions.AddItem(ctx, s.secretary(), id, 0, session.ItemInput{Kind: committee.ItemProposal, Ref: r.proposal}); err != nil {
				return err
			}
		}
		return nil
	})
	s.add(s.at(P, 14, 0), "past session held", func(ctx context.Context) error {
		att := map[string]committee.Attendance{s.staff.President.UserID: committee.Present, s.staff.Secretary.UserID: committee.Present}
		voters := []Person{s.staff.President}
		for i, m := range s.staff.Members {
			if i == len(s.staff.Members)-1 && len(s.staff.Members) > 2 {
				att[m.UserID] = committee.Excused
				continue
			}
			att[m.UserID] = committee.Present
			voters = append(voters, m)
		}
		sec := s.secretary()
		if _, err := s.app.Sessions.Open(ctx, sec, id, 0, att); err != nil {
			return err
		}
		for n, r := range items {
			s.clock.set(s.at(P, 14, 10+10*n))
			ref := r.proposal
			mode := committee.ShowOfHands
			if n == 1 {
				mode = committee.Secret
			}
			if _, err := s.app.Sessions.StartVote(ctx, sec, id, ref, mode); err != nil {
				return err
			}
			for i, v := range voters {
				choice := committee.For
				if r == items[len(items)-1] && i > 0 {
					choice = committee.Against
				} else if mode == committee.Secret && i == len(voters)-1 {
					choice = committee.Abstain
				}
				in := session.BallotInput{Choice: choice}
				who := sec
				if mode == committee.Secret {
					who = s.actor(v, committee.TokenCommitteeMember)
					if v == s.staff.President {
						who = s.president()
					}
				} else {
					in.UserID = v.UserID
				}
				if _, err := s.app.Sessions.Ballot(ctx, who, id, ref, in); err != nil {
					return err
				}
			}
			outcome := committee.Approved
			if r == items[len(items)-1] {
				outcome = committee.Rejected
			} else {
				s.res.Decisions++
			}
			if _, err := s.app.Sessions.Outcome(ctx, sec, id, ref, session.OutcomeInput{Outcome: outcome}); err != nil {
				return err
			}
		}
		s.clock.set(s.at(P, 16, 30))
		rec, err := s.app.Sessions.Close(ctx, sec, id, 0)
		if err != nil {
			return err
		}
		if len(rec.State.PendingOutcomes) > 0 {
			return errors.New("the past session's outcomes were not all handed over")
		}
		return nil
	})
	s.add(s.at(P.AddDays(1), 9, 0), "past session minutes approved", func(ctx context.Context) error {
		_, err := s.app.Sessions.ApproveMinutes(ctx, s.president(), id, 0)
		return err
	})
	notify := func(r *req, on civil.Date, in decision.NotificationInput) {
		s.add(s.at(on, 11, 0), "notification "+r.label, func(ctx context.Context) error {
			did := decision.SessionDecisionID(id, r.proposal)
			rec, err := s.app.Decisions.Repo.Load(ctx, s.staff.Tenant, did)
			if err != nil {
				return err
			}
			in.Date = on.String()
			_, err = s.app.Decisions.Notify(ctx, r.worker, did, rec.Version, in)
			return err
		})
	}
	notify(items[2], P.AddDays(1), decision.NotificationInput{Method: decision.ReceiptSigned})
	notify(items[1], P.AddDays(2), decision.NotificationInput{Method: decision.RegisteredLetter, Reference: "RR 1234 5678 9BE"})
	s.add(s.at(P.AddDays(6), 10, 0), "appeal", func(ctx context.Context) error {
		did := decision.SessionDecisionID(id, items[2].proposal)
		rec, err := s.app.Decisions.Repo.Load(ctx, s.staff.Tenant, did)
		if err != nil {
			return err
		}
		_, err = s.app.Decisions.LodgeAppeal(ctx, items[2].worker, did, rec.Version, decision.AppealInput{
			LodgedOn: P.AddDays(6).String(), CourtReference: fmt.Sprintf("RG %02d/%04d/A", P.Year()%100, 1234)})
		return err
	})
	// The appealed RIS is revised (a part-time job declared) and the revision, a decision of its own, is notified
	// against a signed receipt: its letter and its own appeal window.
	s.add(s.at(P.AddDays(7), 10, 0), "revision", func(ctx context.Context) error {
		did := decision.SessionDecisionID(id, items[2].proposal)
		rec, err := s.app.Decisions.Repo.Load(ctx, s.staff.Tenant, did)
		if err != nil {
			return err
		}
		rec, err = s.app.Decisions.Revise(ctx, items[2].worker, did, rec.Version, decision.RevisionInput{From: P.AddDays(7).String(),
			MonthlyCents: rec.State.CurrentMonthly() - 15000, Reason: "Reprise d'un travail à temps partiel : revenus déclarés le " + legalclock.FormatDate(P.AddDays(5), "fr") + "."})
		if err != nil {
			return err
		}
		changes := rec.State.Changes()
		_, err = s.app.Decisions.NotifyChange(ctx, items[2].worker, did, changes[len(changes)-1].ID, rec.Version,
			decision.NotificationInput{Method: decision.ReceiptSigned, Reference: "AR-R1", Date: P.AddDays(7).String()})
		return err
	})
}

// nextSession plans the session of day N today, convenes it and puts on its agenda the validated proposal of r
// and the urgent decision to ratify.
func (s *seeder) nextSession(N civil.Date, r *req, urgentID *string) {
	s.add(time.Now(), "next session", func(ctx context.Context) error {
		rec, err := s.app.Sessions.Plan(ctx, s.secretary(), session.PlanInput{Date: N, Time: "14:00", Place: "Salle du conseil", Members: s.members()})
		if err != nil {
			return err
		}
		s.res.Sessions++
		if _, err := s.app.Sessions.Convene(ctx, s.secretary(), rec.ID, rec.Version, false, ""); err != nil {
			return err
		}
		if _, err := s.app.Sessions.AddItem(ctx, s.secretary(), rec.ID, 0, session.ItemInput{Kind: committee.ItemProposal, Ref: r.proposal}); err != nil {
			return err
		}
		_, err = s.app.Sessions.AddItem(ctx, s.secretary(), rec.ID, 0, session.ItemInput{Kind: committee.ItemRatification, Ref: *urgentID})
		return err
	})
}
