// Package demo fills the demo tenant of the embedded default with fictional beneficiaries: about fifty persons
// with valid NISS/BIS numbers and Belgian IBANs, households of each RIS category (isolé, cohabitant, famille à
// charge), open and closed social files spread over the demo social workers and two teams, journal notes (some
// restricted) and a few small documents. It goes through the service layer, as a social worker would, so every
// event, outbox entry and audit record is produced as in real use. It also lends the benchmark its generators of
// valid identifiers.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// Tenant is the demo tenant's code (the identity service's demo tenant).
const Tenant = "demo"

// Options say for whom the demo data is made.
type Options struct {
	// Tenant [Tenant] receives the data.
	Tenant string
	// Head is the user id of the social service head: they create the teams and reassign a file.
	Head string
	// Workers are the user ids of the social workers the files are spread over (three in the identity demo; at
	// least one).
	Workers []string
}

// Result tells what SeedDemo made.
type Result struct {
	// Seeded is false when the tenant already had persons and nothing was done.
	Seeded                           bool
	Persons, Files, Notes, Documents int
}

// SeedDemo fills the demo tenant of the beneficiaries database db unless it already has persons: a second start
// changes nothing, and a tenant in use is never touched. A seed interrupted half-way is not completed later (the
// tenant then has persons): drop the demo data to seed it again.
func SeedDemo(ctx context.Context, db *mongo.Database, opts Options) (Result, error) {
	if opts.Tenant == "" {
		opts.Tenant = Tenant
	}
	if opts.Head == "" || len(opts.Workers) == 0 || slicesHasEmpty(opts.Workers) {
		return Result{}, errors.New("demo: the head's and the social workers' user ids are needed")
	}
	n, err := db.Collection(person.CollPersons).CountDocuments(ctx, bson.D{{Key: "tenant", Value: opts.Tenant}}, options.Count().SetLimit(1))
	if err != nil {
		return Result{}, fmt.Errorf("demo: count persons: %w", err)
	}
	if n > 0 {
		return Result{}, nil
	}
	// The service as it runs, minus HTTP: no token is ever verified (no key is trusted) and no relay runs here;
	// the service's own relay publishes the outbox once it starts.
	cfg := beneficiaries.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := beneficiaries.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		return Result{}, err
	}
	s := &seeder{app: app, opts: opts, today: civil.Today()}
	ctx = httpkit.WithRequestID(ctx, "demo-seed")
	if err := s.run(ctx); err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	s.res.Seeded = true
	return s.res, nil
}

func slicesHasEmpty(ids []string) bool {
	for _, id := range ids {
		if id == "" {
			return true
		}
	}
	return false
}

type seeder struct {
	app   *beneficiaries.App
	opts  Options
	today civil.Date
	teams []string
	res   Result
	// uploads serialises the documents' generation and upload: the driver's GridFS bucket is not safe for
	// concurrent first writes (the race detector reports it), and the cases' other writes stay parallel.
	uploads sync.Mutex
}

func (s *seeder) worker(i int) string { return s.opts.Workers[i%len(s.opts.Workers)] }

func (s *seeder) personActor(user string) person.Actor {
	return person.Actor{UserID: user, Tenant: s.opts.Tenant, Roles: []string{person.RoleSocialWorker}}
}

func (s *seeder) fileActor(user string) file.Actor {
	return file.Actor{UserID: user, Tenant: s.opts.Tenant, Roles: []string{file.RoleSocialWorker}}
}

func (s *seeder) headActor() file.Actor {
	return file.Actor{UserID: s.opts.Head, Tenant: s.opts.Tenant, Roles: []string{file.RoleHead}}
}

func (s *seeder) run(ctx context.Context) error {
	if err := s.makeTeams(ctx); err != nil {
		return err
	}
	// The cases are independent: seed them a few at a time (FerretDB spends most of a write waiting on its
	// storage). Each person's NISS serial and bank account come from their position in cases, so the data does
	// not depend on the order the writes land in.
	first := make([]int, len(cases))
	for i := 1; i < len(cases); i++ {
		first[i] = first[i-1] + 1 + len(cases[i-1].members)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				res, err := s.seedCase(ctx, cases[i], first[i])
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("case of %s: %w", cases[i].applicant.family, err))
				}
				s.res.add(res)
				mu.Unlock()
			}
		})
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// upload generates a demo document (a PDF of its lines, or a PNG scan) and uploads it to the file, one at a time.
func (s *seeder) upload(ctx context.Context, fa file.Actor, fileID string, d doc, seed int) error {
	s.uploads.Lock()
	defer s.uploads.Unlock()
	content := PDF(d.lines...)
	if d.lines == nil {
		var err error
		if content, err = PNG(seed); err != nil {
			return err
		}
	}
	if _, _, err := s.app.Documents.Service.Upload(ctx, fa, fileID, document.UploadInput{Type: string(d.typ), Name: d.name, Content: content}); err != nil {
		return fmt.Errorf("document: %w", err)
	}
	return nil
}

func (r *Result) add(o Result) {
	r.Persons += o.Persons
	r.Files += o.Files
	r.Notes += o.Notes
	r.Documents += o.Documents
}

// makeTeams creates the two teams, or reuses them when a previous, interrupted seed made them.
func (s *seeder) makeTeams(ctx context.Context) error {
	existing, err := s.app.Files.Service.ListTeams(ctx, s.headActor())
	if err != nil {
		return err
	}
	for i, name := range teams {
		var members []string
		for w := range s.opts.Workers {
			if teamOf(w) == i {
				members = append(members, s.worker(w))
			}
		}
		if len(members) == 0 { // fewer than three workers: the first one staffs the second team too
			members = []string{s.worker(0)}
		}
		id := ""
		for _, t := range existing.Items {
			if t.Name == name {
				id = t.ID
			}
		}
		if id == "" {
			t, err := s.app.Files.Service.CreateTeam(ctx, s.headActor(), file.TeamInput{Name: name, Members: members})
			if err != nil {
				return fmt.Errorf("team: %w", err)
			}
			id = t.ID
		}
		s.teams = append(s.teams, id)
	}
	return nil
}

// seedCase seeds one household; its persons are the n-th, n+1-th… of the demo.
func (s *seeder) seedCase(ctx context.Context, c demoCase, n int) (res Result, err error) {
	workerID := s.worker(c.worker)
	pa := s.personActor(workerID)
	applicant, err := s.register(ctx, pa, c.applicant, c.addr, n)
	if err != nil {
		return res, err
	}
	res.Persons++
	var household []person.MemberInput
	var memberIDs []string
	for i, m := range c.members {
		v, err := s.register(ctx, pa, m.someone, c.addr, n+1+i)
		if err != nil {
			return res, err
		}
		res.Persons++
		memberIDs = append(memberIDs, v.ID)
		household = append(household, person.MemberInput{PersonID: v.ID, Relation: m.relation, Dependent: m.dependent,
			ValidFrom: later(m.birth, "2021-01-01")})
	}
	if len(household) > 0 {
		if _, err := s.app.Persons.Service.SetHousehold(ctx, pa, applicant.ID, applicant.Version, household); err != nil {
			return res, fmt.Errorf("household: %w", err)
		}
	}
	if c.noFile {
		return res, nil
	}
	fa := s.fileActor(workerID)
	f, err := s.app.Files.Service.OpenFile(ctx, fa, file.OpenInput{PersonID: applicant.ID, TeamID: s.teams[teamOf(c.worker%len(s.opts.Workers))]})
	if err != nil {
		return res, fmt.Errorf("open file: %w", err)
	}
	res.Files++
	for i, m := range c.members {
		if f, err = s.app.Files.Service.RegisterMember(ctx, fa, f.ID, f.Version, file.MemberInput{PersonID: memberIDs[i], Quality: string(m.quality)}); err != nil {
			return res, fmt.Errorf("register member: %w", err)
		}
	}
	for _, n := range c.notes {
		conf := file.Normal
		if n.restricted {
			conf = file.Restricted
		}
		if _, err := s.app.Files.Service.AddNote(ctx, fa, f.ID, file.NoteInput{Text: n.text, Confidentiality: string(conf)}); err != nil {
			return res, fmt.Errorf("note: %w", err)
		}
		res.Notes++
	}
	for i, d := range c.docs {
		if err := s.upload(ctx, fa, f.ID, d, n+i); err != nil {
			return res, err
		}
		res.Documents++
	}
	if c.reassignTo >= 0 {
		to := s.worker(c.reassignTo)
		if f, err = s.app.Files.Service.Reassign(ctx, s.headActor(), f.ID, f.Version, file.AssignInput{Assignee: to, TeamID: s.teams[teamOf(c.reassignTo%len(s.opts.Workers))]}); err != nil {
			return res, fmt.Errorf("reassign: %w", err)
		}
		fa = s.fileActor(to)
	}
	if c.closed != "" {
		if _, err := s.app.Files.Service.CloseFile(ctx, fa, f.ID, f.Version, file.CloseInput{Reason: string(c.closed)}); err != nil {
			return res, fmt.Errorf("close: %w", err)
		}
	}
	return res, nil
}

// register registers one person (and their bank account) as the worker would type them.
func (s *seeder) register(ctx context.Context, a person.Actor, p someone, ad address, index int) (person.View, error) {
	birth, err := civil.Parse(p.birth)
	if err != nil {
		return person.View{}, err
	}
	sex := niss.Male
	if p.sex == female {
		sex = niss.Female
	}
	n, err := NISSFor(birth, Serial(index+7, sex), p.kind)
	if err != nil {
		return person.View{}, err
	}
	in := person.Identity{FamilyName: p.family, GivenNames: p.given, BirthDate: p.birth, Sex: p.sex,
		Nationality: p.nationality, ResidenceStatus: p.status, Language: p.language, Phone: p.phone, Email: p.email,
		Address: &person.AddressInput{Street: ad.street, Number: ad.number, Box: ad.box, Postcode: ad.postcode, Municipality: ad.municipality}}
	if !n.IsZero() {
		in.NISS = n.Format()
	}
	v, err := s.app.Persons.Service.Register(ctx, a, person.Registration{Identity: in})
	if err != nil {
		return person.View{}, fmt.Errorf("register: %w", err)
	}
	if p.iban {
		account, err := BelgianIBAN(bankCodes[index%len(bankCodes)], 1_000_000+(index*7_919)%8_999_999)
		if err != nil {
			return person.View{}, err
		}
		v, err = s.app.Persons.Service.AddBankAccount(ctx, a, v.ID, v.Version, person.AccountInput{IBAN: account.Format(),
			Holder: strings.TrimSpace(p.given + " " + p.family), Activate: true})
		if err != nil {
			return person.View{}, fmt.Errorf("bank account: %w", err)
		}
	}
	return v, nil
}

// bankCodes are protocol numbers of Belgian banks (the first three digits of a Belgian account).
var bankCodes = []int{1, 63, 68, 103, 310, 363, 539, 735, 751, 973}

// later returns the later of two YYYY-MM-DD dates.
func later(a, b string) string {
	if a > b {
		return a
	}
	return b
}
