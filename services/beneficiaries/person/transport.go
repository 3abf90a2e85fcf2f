package person

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/libs/store"
)

// Route patterns, as registered and as named in api/policy/policy.csv and api/openapi/beneficiaries.v1.yaml.
const (
	RouteRegister        = "POST /v1/persons"
	RouteSearch          = "POST /v1/persons/search"
	RouteGet             = "GET /v1/persons/{id}"
	RouteUpdate          = "PUT /v1/persons/{id}"
	RoutePayee           = "GET /v1/persons/{id}/payee"
	RouteAddBankAccount  = "POST /v1/persons/{id}/bank-accounts"
	RouteActivateAccount = "POST /v1/persons/{id}/bank-accounts/{account}/activate"
	RouteHousehold       = "PUT /v1/persons/{id}/household"
	RouteRISCategory     = "GET /v1/persons/{id}/ris-category"
)

// Problem types of this package.
var (
	DuplicateNISS = problem.NewType("duplicate-niss", http.StatusConflict, map[string]string{
		"fr": "Ce numéro de registre national est déjà enregistré", "nl": "Dit rijksregisternummer is al geregistreerd",
		"de": "Diese Nationalregisternummer ist bereits erfasst", "en": "This national register number is already registered"})
	PossibleDuplicate = problem.NewType("possible-duplicate", http.StatusConflict, map[string]string{
		"fr": "Une personne semblable existe peut-être déjà", "nl": "Mogelijk bestaat er al een gelijkaardige persoon",
		"de": "Möglicherweise existiert bereits eine ähnliche Person", "en": "A similar person may already exist"})
)

// TransportConfig tunes the HTTP layer.
type TransportConfig struct {
	// Wrap, when set, decorates each route's handler; the Idempotency-Key middleware plugs in on RouteRegister.
	Wrap func(route string, h http.Handler) http.Handler
}

// MakeHandler mounts every route on rt.
func MakeHandler(rt *httpkit.Router, eps Endpoints, logger *slog.Logger, tc TransportConfig) {
	opts := httpkit.ServerOptions(logger,
		kithttp.ServerBefore(authn.BearerFromHeader),
		kithttp.ServerErrorEncoder(encodeError),
	)
	wrap := tc.Wrap
	if wrap == nil {
		wrap = func(_ string, h http.Handler) http.Handler { return h }
	}
	for _, r := range routeTable(eps) {
		rt.Handle(r.pattern, wrap(r.pattern, kithttp.NewServer(r.ep, r.dec, httpkit.EncodeJSON, opts...)))
	}
}

type route struct {
	pattern string
	ep      endpoint.Endpoint
	dec     kithttp.DecodeRequestFunc
}

func routeTable(eps Endpoints) []route {
	return []route{
		{RouteRegister, eps.Register, decodeRegister},
		{RouteSearch, eps.Search, decodeSearch},
		{RouteGet, eps.Get, decodeRead},
		{RouteUpdate, eps.Update, decodeUpdate},
		{RoutePayee, eps.Payee, decodeRead},
		{RouteAddBankAccount, eps.AddBankAccount, decodeAddAccount},
		{RouteActivateAccount, eps.ActivateBankAccount, decodeActivateAccount},
		{RouteHousehold, eps.SetHousehold, decodeHousehold},
		{RouteRISCategory, eps.RISCategory, decodeRead},
	}
}

// Routes are every route pattern MakeHandler registers.
func Routes() []string {
	var out []string
	for _, r := range routeTable(Endpoints{}) {
		out = append(out, r.pattern)
	}
	return out
}

const maxBody = 64 << 10

// pathID reads a UUID path value; anything else cannot name a person: 404.
func pathID(r *http.Request, name string) (string, error) {
	id := strings.ToLower(r.PathValue(name))
	if !servicekit.IsUUID(id) {
		return "", ErrNotFound
	}
	return id, nil
}

func decodeRegister(_ context.Context, r *http.Request) (any, error) {
	var req registerRequest
	err := httpkit.DecodeJSON(r, &req, maxBody)
	return req, err
}

func decodeSearch(_ context.Context, r *http.Request) (any, error) {
	var req searchRequest
	if err := httpkit.DecodeJSON(r, &req, maxBody); err != nil {
		return nil, err
	}
	req.purpose = r.Header.Get(PurposeHeader)
	return req, nil
}

func decodeRead(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return readRequest{id: id, purpose: r.Header.Get(PurposeHeader), date: r.URL.Query().Get("date")}, nil
}

func decodeUpdate(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	req := updateRequest{id: id, version: version}
	if err := httpkit.DecodeJSON(r, &req.identityBody, maxBody); err != nil {
		return nil, err
	}
	return req, nil
}

func decodeAddAccount(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var req addAccountRequest
	if err := httpkit.DecodeJSON(r, &req, maxBody); err != nil {
		return nil, err
	}
	req.id, req.version = id, version
	return req, nil
}

func decodeActivateAccount(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	account, err := pathID(r, "account")
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	return activateAccountRequest{id: id, account: account, version: version}, nil
}

func decodeHousehold(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var req householdRequest
	if err := httpkit.DecodeJSON(r, &req, maxBody); err != nil {
		return nil, err
	}
	req.id, req.version = id, version
	return req, nil
}

// toProblem is the one place where the package's errors become HTTP problems.
func toProblem(err error) error {
	var (
		pe  *problem.Error
		dup *DuplicateNISSError
		pd  *PossibleDuplicatesError
	)
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &dup):
		p := problem.New(DuplicateNISS).With("file_numbers", nonNil(dup.FileNumbers))
		if dup.Visible {
			p = p.With("person_id", dup.PersonID)
		}
		return p
	case errors.As(err, &pd):
		p := &problem.Error{Type: PossibleDuplicate, Fields: []problem.FieldError{problem.Field("duplicate_reason", "person.duplicate_reason_required")}}
		return p.With("candidates", pd.Candidates)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrAccountNotFound):
		return problem.New(problem.NotFound)
	}
	if ce, ok := isConflict(err); ok {
		return (&problem.Error{Type: problem.VersionConflict, Cause: err}).With("current_version", ce.Current)
	}
	if errors.Is(err, store.ErrConflict) {
		return &problem.Error{Type: problem.VersionConflict, Cause: err}
	}
	return &problem.Error{Type: problem.Internal, Cause: err}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func encodeError(ctx context.Context, err error, w http.ResponseWriter) {
	problem.EncodeError(ctx, toProblem(err), w)
}
