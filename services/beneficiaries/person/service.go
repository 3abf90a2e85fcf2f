package person

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
)

// Roles this package reasons about; the route policy keeps every other role out.
const (
	RoleSocialWorker    = "social_worker"
	RoleHead            = "social_service_head"
	RoleAccountant      = "accountant"
	RoleFinanceDirector = "finance_director"
)

// Actor is the authenticated caller of a use case.
type Actor struct {
	UserID string
	Tenant string
	Roles  []string
}

// IsHead tells whether the actor heads the social service (sees every person of the tenant).
func (a Actor) IsHead() bool { return slices.Contains(a.Roles, RoleHead) }

// isSocial tells whether the actor works on social files (head or social worker).
func (a Actor) isSocial() bool { return a.IsHead() || slices.Contains(a.Roles, RoleSocialWorker) }

// isFinance tells whether the actor pays (accountant or finance director).
func (a Actor) isFinance() bool {
	return slices.Contains(a.Roles, RoleAccountant) || slices.Contains(a.Roles, RoleFinanceDirector)
}

// FileNumberResolver finds the persons managed in the file with a number like 2026/000123. The file package
// implements it; person never imports file.
type FileNumberResolver interface {
	PersonsByFileNumber(ctx context.Context, tenant, number string) ([]string, error)
}

// TeamResolver lists the teams a user belongs to (teams live in the file package).
type TeamResolver interface {
	TeamsOf(ctx context.Context, tenant, user string) ([]string, error)
}

// Hooks are what the file package lends this package once both exist.
type Hooks struct {
	Files FileNumberResolver
	Teams TeamResolver
}

// Service is the persons' use cases.
type Service interface {
	Register(ctx context.Context, a Actor, in Registration) (View, error)
	Get(ctx context.Context, a Actor, id, purpose string) (View, error)
	Update(ctx context.Context, a Actor, id string, version int64, in Identity) (View, error)
	Search(ctx context.Context, a Actor, in SearchInput) (SearchPage, error)
	Payee(ctx context.Context, a Actor, id, purpose string) (PayeeView, error)
	AddBankAccount(ctx context.Context, a Actor, id string, version int64, in AccountInput) (View, error)
	ActivateBankAccount(ctx context.Context, a Actor, id string, version int64, accountID string) (View, error)
	SetHousehold(ctx context.Context, a Actor, id string, version int64, members []MemberInput) (View, error)
	RISCategory(ctx context.Context, a Actor, id, date, purpose string) (CategoryProposal, error)
}

// Registration is the input of a new person: the identity, and, when the registry warned about possible
// duplicates, why this is another person.
type Registration struct {
	Identity
	DuplicateReason string
}

// AccountInput is a bank account as typed.
type AccountInput struct {
	IBAN     string
	Holder   string
	Activate bool
}

// SearchInput is a search: a NISS (with or without separators), a file number (2026/000123) or the start of a
// name, and the page wanted.
type SearchInput struct {
	Query    string
	Page     int
	PageSize int
	Purpose  string
}

// View is a person as a social worker sees it.
type View struct {
	ID              string            `json:"id"`
	Version         int64             `json:"version"`
	NISS            string            `json:"niss,omitempty"`
	NISSFormatted   string            `json:"niss_formatted,omitempty"`
	BIS             bool              `json:"bis,omitempty"`
	FamilyName      string            `json:"family_name"`
	GivenNames      string            `json:"given_names"`
	BirthDate       civil.Date        `json:"birth_date"`
	Sex             string            `json:"sex"`
	Nationality     string            `json:"nationality"`
	ResidenceStatus string            `json:"residence_status"`
	Address         *Address          `json:"address"`
	Phone           string            `json:"phone,omitempty"`
	Email           string            `json:"email,omitempty"`
	Language        string            `json:"language"`
	DuplicateReason string            `json:"duplicate_reason,omitempty"`
	BankAccounts    []AccountView     `json:"bank_accounts"`
	Household       []HouseholdMember `json:"household"`
	Files           []FileLink        `json:"files"`
	RegisteredAt    time.Time         `json:"registered_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

// AccountView is a bank account as shown.
type AccountView struct {
	ID            string    `json:"id"`
	IBAN          string    `json:"iban"`
	IBANFormatted string    `json:"iban_formatted"`
	Holder        string    `json:"holder"`
	Active        bool      `json:"active"`
	AddedAt       time.Time `json:"added_at"`
	ActivatedAt   time.Time `json:"activated_at,omitzero"`
	DeactivatedAt time.Time `json:"deactivated_at,omitzero"`
}

// PayeeView is all finance sees of a person: the name and the active account.
type PayeeView struct {
	PersonID      string `json:"person_id"`
	Name          string `json:"name"`
	IBAN          string `json:"iban,omitempty"`
	IBANFormatted string `json:"iban_formatted,omitempty"`
	Holder        string `json:"holder,omitempty"`
}

// SearchHit is one line of a search result.
type SearchHit struct {
	ID            string     `json:"id"`
	NISSFormatted string     `json:"niss_formatted,omitempty"`
	FamilyName    string     `json:"family_name"`
	GivenNames    string     `json:"given_names"`
	BirthDate     civil.Date `json:"birth_date"`
	FileNumbers   []string   `json:"file_numbers"`
}

// SearchPage is a page of search results.
type SearchPage struct {
	Items    []SearchHit `json:"items"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	HasMore  bool        `json:"has_more"`
}

func toView(rec Record) View {
	p := rec.State
	v := View{ID: rec.ID, Version: rec.Version, FamilyName: p.FamilyName, GivenNames: p.GivenNames, BirthDate: p.BirthDate,
		Sex: p.Sex, Nationality: p.Nationality, ResidenceStatus: p.ResidenceStatus, Address: p.Address,
		Phone: p.Contact.Phone, Email: p.Contact.Email, Language: p.Language, DuplicateReason: p.DuplicateReason,
		BankAccounts: []AccountView{}, Household: p.Household, Files: p.Files,
		RegisteredAt: p.RegisteredAt, UpdatedAt: p.UpdatedAt}
	if !p.NISS.IsZero() {
		v.NISS, v.NISSFormatted, v.BIS = p.NISS.String(), p.NISS.Format(), p.NISS.IsBIS()
	}
	for _, a := range p.BankAccounts {
		v.BankAccounts = append(v.BankAccounts, AccountView{ID: a.ID, IBAN: a.IBAN.String(), IBANFormatted: a.IBAN.Format(),
			Holder: a.Holder, Active: a.Active, AddedAt: a.AddedAt, ActivatedAt: a.ActivatedAt, DeactivatedAt: a.DeactivatedAt})
	}
	if v.Household == nil {
		v.Household = []HouseholdMember{}
	}
	if v.Files == nil {
		v.Files = []FileLink{}
	}
	return v
}

type service struct {
	repo    *Repository
	auditor *Auditor
	hooks   *atomic.Pointer[Hooks]
	now     func() time.Time
}

// NewService returns the use cases over repo; hooks may be filled later (SetHooks on the Module).
func NewService(repo *Repository, auditor *Auditor, hooks *atomic.Pointer[Hooks], now func() time.Time) Service {
	if now == nil {
		now = time.Now
	}
	if hooks == nil {
		hooks = &atomic.Pointer[Hooks]{}
	}
	return &service{repo: repo, auditor: auditor, hooks: hooks, now: now}
}

func (s *service) viewer(ctx context.Context, a Actor) (Viewer, error) {
	v := Viewer{UserID: a.UserID, Head: a.IsHead()}
	if v.Head {
		return v, nil
	}
	if h := s.hooks.Load(); h != nil && h.Teams != nil {
		teams, err := h.Teams.TeamsOf(ctx, a.Tenant, a.UserID)
		if err != nil {
			return v, fmt.Errorf("person: teams of the viewer: %w", err)
		}
		v.Teams = teams
	}
	return v, nil
}

func (s *service) today() civil.Date { return civil.Of(s.now()) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func correlation(ctx context.Context) string { return httpkit.RequestID(ctx) }

const maxDuplicateReason = 500

func (s *service) Register(ctx context.Context, a Actor, in Registration) (v View, err error) {
	id := newID()
	defer func() { s.auditor.record(ctx, a, "person.create", v.ID, "", outcomeOf(err)) }()
	now := s.now().UTC().Truncate(time.Millisecond)
	p := Person{RegisteredBy: a.UserID, RegisteredAt: now, UpdatedAt: now, BankAccounts: []BankAccount{}, Household: []HouseholdMember{}, Files: []FileLink{}}
	if err := p.applyIdentity(in.Identity, s.today()); err != nil {
		return View{}, err
	}
	reason := clean(in.DuplicateReason)
	if len([]rune(reason)) > maxDuplicateReason {
		return View{}, problem.Invalid(problem.Field("duplicate_reason", "too_long", "max", maxDuplicateReason))
	}
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return View{}, err
	}
	if !p.NISS.IsZero() {
		if dup, found, err := s.repo.byNISS(ctx, a.Tenant, p.NISS); err != nil {
			return View{}, err
		} else if found {
			return View{}, &DuplicateNISSError{PersonID: dup.ID, FileNumbers: dup.State.FileNumbers(), Visible: dup.State.VisibleTo(viewer)}
		}
	} else {
		dups, err := s.repo.possibleDuplicates(ctx, a.Tenant, p.DupKey)
		if err != nil {
			return View{}, err
		}
		if len(dups) > 0 && reason == "" {
			pe := &PossibleDuplicatesError{}
			for _, d := range dups {
				pe.Candidates = append(pe.Candidates, DuplicateCandidate{PersonID: d.ID, FileNumbers: d.State.FileNumbers()})
			}
			return View{}, pe
		}
		if len(dups) > 0 {
			p.DuplicateReason = reason
		}
	}
	p.setNISSKey(id)
	p.applyFileLinks(nil)
	ev, err := newEvent(EventPersonRegistered, a.Tenant, id, correlation(ctx), personData(id, &p))
	if err != nil {
		return View{}, err
	}
	if err := s.repo.insert(ctx, a.Tenant, id, p, viewer, ev); err != nil {
		return View{}, err
	}
	return toView(Record{ID: id, Tenant: a.Tenant, Version: 1, State: p}), nil
}

func (s *service) Get(ctx context.Context, a Actor, id, purpose string) (v View, err error) {
	defer func() { s.auditor.record(ctx, a, "person.read", id, purpose, outcomeOf(err)) }()
	if err := checkPurpose(purpose); err != nil {
		return View{}, err
	}
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return View{}, err
	}
	rec, err := s.repo.Get(ctx, a.Tenant, id, viewer)
	if err != nil {
		return View{}, err
	}
	return toView(rec), nil
}

// change applies fn to a person the actor may see, guarded by the version the client read.
func (s *service) change(ctx context.Context, a Actor, id string, version int64, fn func(p *Person) ([]events.Event, error)) (View, error) {
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return View{}, err
	}
	if _, err := s.repo.Get(ctx, a.Tenant, id, viewer); err != nil {
		return View{}, err
	}
	var saved Person
	next, err := s.repo.update(ctx, a.Tenant, id, version, func(p *Person) ([]events.Event, error) {
		evs, err := fn(p)
		if err != nil {
			return nil, err
		}
		p.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
		saved = *p
		return evs, nil
	})
	if err != nil {
		if mongo.IsDuplicateKeyError(err) {
			if n := saved.NISS; !n.IsZero() {
				if dup, found, ferr := s.repo.byNISS(ctx, a.Tenant, n); ferr == nil && found {
					return View{}, &DuplicateNISSError{PersonID: dup.ID, FileNumbers: dup.State.FileNumbers(), Visible: dup.State.VisibleTo(viewer)}
				}
			}
		}
		return View{}, err
	}
	return toView(Record{ID: id, Tenant: a.Tenant, Version: next, State: saved}), nil
}

func (s *service) Update(ctx context.Context, a Actor, id string, version int64, in Identity) (v View, err error) {
	defer func() { s.auditor.record(ctx, a, "person.update", id, "", outcomeOf(err)) }()
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return View{}, err
	}
	return s.change(ctx, a, id, version, func(p *Person) ([]events.Event, error) {
		before := p.NISS
		if err := p.applyIdentity(in, s.today()); err != nil {
			return nil, err
		}
		if p.NISS != before && !p.NISS.IsZero() {
			if dup, found, err := s.repo.byNISS(ctx, a.Tenant, p.NISS); err != nil {
				return nil, err
			} else if found && dup.ID != id {
				return nil, &DuplicateNISSError{PersonID: dup.ID, FileNumbers: dup.State.FileNumbers(), Visible: dup.State.VisibleTo(viewer)}
			}
		}
		p.setNISSKey(id)
		ev, err := newEvent(EventPersonUpdated, a.Tenant, id, correlation(ctx), personData(id, p))
		return []events.Event{ev}, err
	})
}

var fileNumberPattern = regexp.MustCompile(`^\d{4}/\d{1,6}$`)

// nissLike tells whether a query is meant as a NISS: digits with the usual separators only.
func nissLike(q string) bool {
	digits := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' || r == '-' || r == ' ':
		default:
			return false
		}
	}
	return digits > 0
}

// Page bounds of a search.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

func (s *service) Search(ctx context.Context, a Actor, in SearchInput) (page SearchPage, err error) {
	defer func() { s.auditor.record(ctx, a, "person.search", "", in.Purpose, outcomeOf(err)) }()
	if err := checkPurpose(in.Purpose); err != nil {
		return SearchPage{}, err
	}
	var fs problem.Fields
	if in.Page == 0 {
		in.Page = 1
	}
	if in.PageSize == 0 {
		in.PageSize = DefaultPageSize
	}
	if in.Page < 1 || in.Page > 10_000 {
		fs.Add("page", "out_of_range", "min", 1, "max", 10_000)
	}
	if in.PageSize < 1 || in.PageSize > MaxPageSize {
		fs.Add("page_size", "out_of_range", "min", 1, "max", MaxPageSize)
	}
	q := SearchQuery{Skip: int64(in.Page-1) * int64(in.PageSize), Limit: int64(in.PageSize)}
	text := strings.TrimSpace(in.Query)
	switch {
	case fileNumberPattern.MatchString(text):
		q.IDs = []string{}
		if h := s.hooks.Load(); h != nil && h.Files != nil {
			ids, err := h.Files.PersonsByFileNumber(ctx, a.Tenant, text)
			if err != nil {
				return SearchPage{}, err
			}
			q.IDs = append(q.IDs, ids...)
		}
	case nissLike(text):
		n, err := niss.Parse(text)
		if err != nil {
			fs.Add("query", niss.Code)
		}
		q.NISS = n
	default:
		q.NamePrefix = Normalize(text)
		if len([]rune(q.NamePrefix)) < 2 {
			fs.Add("query", "person.query_too_short")
		}
	}
	if err := fs.Err(); err != nil {
		return SearchPage{}, err
	}
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return SearchPage{}, err
	}
	recs, more, err := s.repo.Search(ctx, a.Tenant, viewer, q)
	if err != nil {
		return SearchPage{}, err
	}
	page = SearchPage{Items: []SearchHit{}, Page: in.Page, PageSize: in.PageSize, HasMore: more}
	for _, r := range recs {
		h := SearchHit{ID: r.ID, FamilyName: r.State.FamilyName, GivenNames: r.State.GivenNames, BirthDate: r.State.BirthDate, FileNumbers: r.State.FileNumbers()}
		if !r.State.NISS.IsZero() {
			h.NISSFormatted = r.State.NISS.Format()
		}
		page.Items = append(page.Items, h)
	}
	return page, nil
}

func (s *service) Payee(ctx context.Context, a Actor, id, purpose string) (pv PayeeView, err error) {
	defer func() { s.auditor.record(ctx, a, "person.payee.read", id, purpose, outcomeOf(err)) }()
	if err := checkPurpose(purpose); err != nil {
		return PayeeView{}, err
	}
	var rec Record
	switch {
	case a.isFinance():
		rec, err = s.repo.Load(ctx, a.Tenant, id)
	case a.isSocial():
		var viewer Viewer
		if viewer, err = s.viewer(ctx, a); err == nil {
			rec, err = s.repo.Get(ctx, a.Tenant, id, viewer)
		}
	default:
		err = ErrNotFound
	}
	if err != nil {
		return PayeeView{}, err
	}
	pv = PayeeView{PersonID: rec.ID, Name: strings.TrimSpace(rec.State.FamilyName + " " + rec.State.GivenNames)}
	if acc, ok := rec.State.ActiveAccount(); ok {
		pv.IBAN, pv.IBANFormatted, pv.Holder = acc.IBAN.String(), acc.IBAN.Format(), acc.Holder
	}
	return pv, nil
}

func bankAccountEvent(ctx context.Context, a Actor, id string, p *Person, ch *AccountChange, at time.Time) (events.Event, error) {
	d := BankAccountChangedData{PersonID: id, AccountID: ch.AccountID, Holder: ch.Holder, NewIBAN: ch.New.String(),
		PayeeName: strings.TrimSpace(p.FamilyName + " " + p.GivenNames), EffectiveAt: at.UTC().Format(time.RFC3339)}
	if !ch.Old.IsZero() {
		old := ch.Old.String()
		d.OldIBAN = &old
	}
	return newEvent(EventBankAccountChanged, a.Tenant, id, correlation(ctx), d)
}

func (s *service) AddBankAccount(ctx context.Context, a Actor, id string, version int64, in AccountInput) (v View, err error) {
	defer func() { s.auditor.record(ctx, a, "person.bankaccount.add", id, "", outcomeOf(err)) }()
	return s.change(ctx, a, id, version, func(p *Person) ([]events.Event, error) {
		now := s.now().UTC().Truncate(time.Millisecond)
		_, ch, err := p.AddBankAccount(newID(), in.IBAN, in.Holder, a.UserID, in.Activate, now)
		if err != nil || ch == nil {
			return nil, err
		}
		ev, err := bankAccountEvent(ctx, a, id, p, ch, now)
		return []events.Event{ev}, err
	})
}

func (s *service) ActivateBankAccount(ctx context.Context, a Actor, id string, version int64, accountID string) (v View, err error) {
	defer func() { s.auditor.record(ctx, a, "person.bankaccount.activate", id, "", outcomeOf(err)) }()
	return s.change(ctx, a, id, version, func(p *Person) ([]events.Event, error) {
		now := s.now().UTC().Truncate(time.Millisecond)
		ch, err := p.ActivateBankAccount(accountID, now)
		if err != nil || ch == nil {
			return nil, err
		}
		ev, err := bankAccountEvent(ctx, a, id, p, ch, now)
		return []events.Event{ev}, err
	})
}

func (s *service) SetHousehold(ctx context.Context, a Actor, id string, version int64, members []MemberInput) (v View, err error) {
	defer func() { s.auditor.record(ctx, a, "person.household.update", id, "", outcomeOf(err)) }()
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, strings.ToLower(strings.TrimSpace(m.PersonID)))
	}
	known, err := s.repo.existing(ctx, a.Tenant, ids)
	if err != nil {
		return View{}, err
	}
	exists := map[string]bool{}
	for k := range known {
		exists[k] = true
	}
	hh, err := parseHousehold(id, members, exists)
	if err != nil {
		return View{}, err
	}
	today := s.today()
	return s.change(ctx, a, id, version, func(p *Person) ([]events.Event, error) {
		p.Household = hh
		d := HouseholdChangedData{PersonID: id, Members: hh}
		prop := ProposeCategory(hh, known, today)
		d.Proposal.Date, d.Proposal.Category = prop.Date, prop.Category
		ev, err := newEvent(EventHouseholdChanged, a.Tenant, id, correlation(ctx), d)
		return []events.Event{ev}, err
	})
}

func (s *service) RISCategory(ctx context.Context, a Actor, id, date, purpose string) (cp CategoryProposal, err error) {
	defer func() { s.auditor.record(ctx, a, "person.ris_category.read", id, purpose, outcomeOf(err)) }()
	if err := checkPurpose(purpose); err != nil {
		return CategoryProposal{}, err
	}
	day := s.today()
	if date != "" {
		if day, err = civil.Parse(date); err != nil {
			return CategoryProposal{}, problem.Invalid(problem.Field("date", "invalid_date"))
		}
	}
	viewer, err := s.viewer(ctx, a)
	if err != nil {
		return CategoryProposal{}, err
	}
	rec, err := s.repo.Get(ctx, a.Tenant, id, viewer)
	if err != nil {
		return CategoryProposal{}, err
	}
	ids := make([]string, 0, len(rec.State.Household))
	for _, m := range rec.State.Household {
		ids = append(ids, m.PersonID)
	}
	births, err := s.repo.existing(ctx, a.Tenant, ids)
	if err != nil {
		return CategoryProposal{}, err
	}
	return ProposeCategory(rec.State.Household, births, day), nil
}

// isConflict tells whether err is a version conflict of the store.
func isConflict(err error) (*store.ConflictError, bool) {
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return ce, true
	}
	return nil, false
}
