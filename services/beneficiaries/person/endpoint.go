package person

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/problem"
)

// Endpoints are the package's go-kit endpoints, one per route.
type Endpoints struct {
	Register, Search, Get, Update, Payee endpoint.Endpoint
	AddBankAccount, ActivateBankAccount  endpoint.Endpoint
	SetHousehold, RISCategory            endpoint.Endpoint
}

// MakeEndpoints builds the endpoints; protect(action) wraps each one with authentication, the audit of refusals
// and authorization (see Module).
func MakeEndpoints(s Service, protect func(action string) endpoint.Middleware) Endpoints {
	return Endpoints{
		Register:            protect("person.create")(makeRegister(s)),
		Search:              protect("person.search")(makeSearch(s)),
		Get:                 protect("person.read")(makeGet(s)),
		Update:              protect("person.update")(makeUpdate(s)),
		Payee:               protect("person.payee.read")(makePayee(s)),
		AddBankAccount:      protect("person.bankaccount.add")(makeAddBankAccount(s)),
		ActivateBankAccount: protect("person.bankaccount.activate")(makeActivateBankAccount(s)),
		SetHousehold:        protect("person.household.update")(makeSetHousehold(s)),
		RISCategory:         protect("person.ris_category.read")(makeRISCategory(s)),
	}
}

func actorFrom(ctx context.Context) (Actor, error) {
	c, ok := authn.ClaimsFrom(ctx)
	if !ok {
		return Actor{}, problem.New(problem.Unauthorized)
	}
	return Actor{UserID: c.Subject, Tenant: c.Tenant, Roles: c.Roles}, nil
}

// Wire types. Strings everywhere the domain validates, so that bad input becomes field errors, not JSON errors.
type addressBody struct {
	Street       string `json:"street"`
	Number       string `json:"number"`
	Box          string `json:"box"`
	Postcode     string `json:"postcode"`
	Municipality string `json:"municipality"`
}

type identityBody struct {
	NISS            string       `json:"niss"`
	FamilyName      string       `json:"family_name"`
	GivenNames      string       `json:"given_names"`
	BirthDate       string       `json:"birth_date"`
	Sex             string       `json:"sex"`
	Nationality     string       `json:"nationality"`
	ResidenceStatus string       `json:"residence_status"`
	Address         *addressBody `json:"address"`
	Phone           string       `json:"phone"`
	Email           string       `json:"email"`
	Language        string       `json:"language"`
}

func (b identityBody) identity() Identity {
	in := Identity{NISS: b.NISS, FamilyName: b.FamilyName, GivenNames: b.GivenNames, BirthDate: b.BirthDate, Sex: b.Sex,
		Nationality: b.Nationality, ResidenceStatus: b.ResidenceStatus, Phone: b.Phone, Email: b.Email, Language: b.Language}
	if b.Address != nil {
		in.Address = &AddressInput{Street: b.Address.Street, Number: b.Address.Number, Box: b.Address.Box,
			Postcode: b.Address.Postcode, Municipality: b.Address.Municipality}
	}
	return in
}

type registerRequest struct {
	identityBody
	DuplicateReason string `json:"duplicate_reason"`
}

func (registerRequest) auditTarget() (string, string) { return "", "" }

type searchRequest struct {
	Query    string `json:"query"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
	purpose  string
}

func (r searchRequest) auditTarget() (string, string) { return "", r.purpose }

// readRequest is a read of one person: id, declared purpose, and for the RIS category the reference date.
type readRequest struct {
	id, purpose, date string
}

func (r readRequest) auditTarget() (string, string) { return r.id, r.purpose }

type updateRequest struct {
	id      string
	version int64
	identityBody
}

func (r updateRequest) auditTarget() (string, string) { return r.id, "" }

type addAccountRequest struct {
	id       string
	version  int64
	IBAN     string `json:"iban"`
	Holder   string `json:"holder"`
	Activate bool   `json:"activate"`
}

func (r addAccountRequest) auditTarget() (string, string) { return r.id, "" }

type activateAccountRequest struct {
	id, account string
	version     int64
}

func (r activateAccountRequest) auditTarget() (string, string) { return r.id, "" }

type memberBody struct {
	PersonID  string `json:"person_id"`
	Relation  string `json:"relation"`
	Dependent bool   `json:"dependent"`
	Married   bool   `json:"married"`
	ValidFrom string `json:"valid_from"`
	Until     string `json:"until"`
}

type householdRequest struct {
	id      string
	version int64
	Members []memberBody `json:"members"`
}

func (r householdRequest) auditTarget() (string, string) { return r.id, "" }

// personResponse is a person with its ETag; created answers 201 with a Location.
type personResponse struct {
	View
	created bool
}

func (r personResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (r personResponse) Headers() http.Header {
	h := http.Header{"Etag": {strconv.Quote(strconv.FormatInt(r.Version, 10))}}
	if r.created {
		h.Set("Location", "/v1/persons/"+r.ID)
	}
	return h
}

func makeRegister(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(registerRequest)
		v, err := s.Register(ctx, a, Registration{Identity: r.identity(), DuplicateReason: r.DuplicateReason})
		return personResponse{View: v, created: true}, err
	}
}

func makeSearch(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(searchRequest)
		return s.Search(ctx, a, SearchInput{Query: r.Query, Page: r.Page, PageSize: r.PageSize, Purpose: r.purpose})
	}
}

func makeGet(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(readRequest)
		v, err := s.Get(ctx, a, r.id, r.purpose)
		return personResponse{View: v}, err
	}
}

func makeUpdate(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(updateRequest)
		v, err := s.Update(ctx, a, r.id, r.version, r.identity())
		return personResponse{View: v}, err
	}
}

func makePayee(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(readRequest)
		return s.Payee(ctx, a, r.id, r.purpose)
	}
}

func makeAddBankAccount(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(addAccountRequest)
		v, err := s.AddBankAccount(ctx, a, r.id, r.version, AccountInput{IBAN: r.IBAN, Holder: r.Holder, Activate: r.Activate})
		return personResponse{View: v}, err
	}
}

func makeActivateBankAccount(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(activateAccountRequest)
		v, err := s.ActivateBankAccount(ctx, a, r.id, r.version, r.account)
		return personResponse{View: v}, err
	}
}

func makeSetHousehold(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(householdRequest)
		members := make([]MemberInput, 0, len(r.Members))
		for _, m := range r.Members {
			members = append(members, MemberInput(m))
		}
		v, err := s.SetHousehold(ctx, a, r.id, r.version, members)
		return personResponse{View: v}, err
	}
}

func makeRISCategory(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(readRequest)
		return s.RISCategory(ctx, a, r.id, r.date, r.purpose)
	}
}
