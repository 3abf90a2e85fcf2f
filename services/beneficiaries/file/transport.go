package file

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/libs/store"
)

// Route patterns, as registered and as named in api/policy/policy.csv and api/openapi/beneficiaries.v1.yaml.
const (
	RouteOpenFile       = "POST /v1/files"
	RouteListFiles      = "GET /v1/files"
	RouteGetFile        = "GET /v1/files/{id}"
	RouteReassign       = "POST /v1/files/{id}/assignment"
	RouteCloseFile      = "POST /v1/files/{id}/closure"
	RouteRegisterMember = "POST /v1/files/{id}/members"
	RouteAddNote        = "POST /v1/files/{id}/journal"
	RouteJournal        = "GET /v1/files/{id}/journal"
	RouteListTeams      = "GET /v1/teams"
	RouteCreateTeam     = "POST /v1/teams"
	RouteGetTeam        = "GET /v1/teams/{id}"
	RouteUpdateTeam     = "PUT /v1/teams/{id}"
	RouteDeleteTeam     = "DELETE /v1/teams/{id}"
	RouteCaseload       = "GET /v1/caseload"
	RouteCompleteTask   = "POST /v1/tasks/{id}/done"
	RouteLegalHold      = "POST /v1/files/{id}/legal-hold"
)

// CreationRoutes are the routes that honour an Idempotency-Key (wrap them with the idempotency middleware).
var CreationRoutes = []string{RouteOpenFile, RouteAddNote}

// HandlerConfig tunes MakeHandler.
type HandlerConfig struct {
	Logger *slog.Logger
	// Wrap, when set, decorates the handler of each route (the Idempotency-Key middleware on CreationRoutes).
	Wrap func(route string, h http.Handler) http.Handler
}

type route struct {
	pattern string
	ep      endpoint.Endpoint
	dec     kithttp.DecodeRequestFunc
}

func routeTable(e Endpoints) []route {
	return []route{
		{RouteOpenFile, e.OpenFile, decodeJSON[OpenInput]},
		{RouteListFiles, e.ListFiles, decodeListFiles},
		{RouteGetFile, e.GetFile, decodeID},
		{RouteReassign, e.Reassign, decodeUpdate[AssignInput]},
		{RouteCloseFile, e.CloseFile, decodeUpdate[CloseInput]},
		{RouteRegisterMember, e.RegisterMember, decodeUpdate[MemberInput]},
		{RouteAddNote, e.AddNote, decodeCreate[NoteInput]},
		{RouteJournal, e.Journal, decodeID},
		{RouteListTeams, e.ListTeams, decodeNothing},
		{RouteCreateTeam, e.CreateTeam, decodeJSON[TeamInput]},
		{RouteGetTeam, e.GetTeam, decodeID},
		{RouteUpdateTeam, e.UpdateTeam, decodeUpdate[TeamInput]},
		{RouteDeleteTeam, e.DeleteTeam, decodeVersionOnly},
		{RouteCaseload, e.Caseload, decodeNothing},
		{RouteCompleteTask, e.CompleteTask, decodeVersionOnly},
		{RouteLegalHold, e.SetLegalHold, decodeUpdate[LegalHoldInput]},
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

// MakeHandler mounts the file routes on rt.
func MakeHandler(rt *httpkit.Router, eps Endpoints, hc HandlerConfig) {
	logger := hc.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := httpkit.ServerOptions(logger, kithttp.ServerBefore(authn.BearerFromHeader), kithttp.ServerErrorEncoder(EncodeError))
	wrap := hc.Wrap
	if wrap == nil {
		wrap = func(_ string, h http.Handler) http.Handler { return h }
	}
	for _, r := range routeTable(eps) {
		rt.Handle(r.pattern, wrap(r.pattern, kithttp.NewServer(r.ep, r.dec, httpkit.EncodeJSON, opts...)))
	}
}

const maxJSON = 64 << 10

func decodeJSON[T any](_ context.Context, r *http.Request) (any, error) {
	var v T
	if err := httpkit.DecodeJSON(r, &v, maxJSON); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeNothing(context.Context, *http.Request) (any, error) { return nil, nil }

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(PurposeHeader)}, err
}

func decodeCreate[T any](_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	var v T
	if err := httpkit.DecodeJSON(r, &v, maxJSON); err != nil {
		return nil, err
	}
	return createRequest[T]{id: id, body: v}, nil
}

func decodeUpdate[T any](_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var v T
	if err := httpkit.DecodeJSON(r, &v, maxJSON); err != nil {
		return nil, err
	}
	return updateRequest[T]{id: id, version: version, body: v}, nil
}

func decodeVersionOnly(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	return updateRequest[struct{}]{id: id, version: version}, nil
}

func decodeListFiles(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	num := func(name string) int {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return -1
		}
		return n
	}
	var fs problem.Fields
	ids := map[string]string{}
	for _, name := range []string{"person_id", "assignee", "team_id"} {
		id := strings.ToLower(q.Get(name))
		if id != "" && !servicekit.IsUUID(id) {
			fs.Add(name, "invalid")
		}
		ids[name] = id
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	return listFilesRequest{FileQuery: FileQuery{PersonID: ids["person_id"], Status: Status(q.Get("status")), Assignee: ids["assignee"],
		TeamID: ids["team_id"], Page: num("page"), PageSize: num("page_size")}, purpose: r.Header.Get(PurposeHeader)}, nil
}

// ToProblem is the one place where the file package's errors become HTTP problems.
func ToProblem(err error) error {
	var pe *problem.Error
	var ce *store.ConflictError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ce):
		return problem.New(problem.PreconditionFailed).With("current_version", ce.Current)
	case errors.Is(err, store.ErrConflict):
		return &problem.Error{Type: problem.VersionConflict, Cause: err}
	case errors.Is(err, ErrNotFound), errors.Is(err, servicekit.ErrNotFound):
		return problem.New(problem.NotFound)
	case errors.Is(err, ErrForbidden):
		return &problem.Error{Type: problem.Forbidden, Cause: err}
	case errors.Is(err, ErrClosed):
		return problem.New(problem.Conflict).WithDetail("file.closed")
	case errors.Is(err, ErrAlreadyManaged):
		return problem.New(problem.Conflict).WithDetail("file.already_managed")
	case errors.Is(err, ErrTeamInUse):
		return problem.New(problem.Conflict).WithDetail("file.team_in_use")
	}
	return &problem.Error{Type: problem.Internal, Cause: err}
}

// EncodeError writes err as problem+json.
func EncodeError(ctx context.Context, err error, w http.ResponseWriter) {
	problem.EncodeError(ctx, ToProblem(err), w)
}

// AuditDenials records, for the DPO, every request the route policy refused (403): place it between
// authentication and authorization, e.g. endpoint.Chain(authn.Middleware(v), AuditDenials(au), authz.Middleware(e)).
func AuditDenials(au *Auditor) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			resp, err := next(ctx, request)
			var pe *problem.Error
			if err != nil && errors.As(err, &pe) && pe.Type == problem.Forbidden {
				if a, aerr := ActorFrom(ctx); aerr == nil {
					rt, _ := httpkit.RouteFrom(ctx)
					au.Record(ctx, a, Entry{Action: "route.denied", ResourceType: "route", ResourceID: rt.Method + " " + rt.Template,
						Outcome: audit.OutcomeDenied})
				}
			}
			return resp, err
		}
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"file.purpose_invalid": {
			"fr": "Finalité inconnue : case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request ou audit_review.",
			"nl": "Onbekend doel: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request of audit_review.",
			"de": "Unbekannter Zweck: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request oder audit_review.",
			"en": "Unknown purpose: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request or audit_review.",
		},
		"file.unknown_person": {
			"fr": "Personne introuvable.", "nl": "Persoon niet gevonden.", "de": "Person nicht gefunden.", "en": "Person not found.",
		},
		"file.unknown_team": {
			"fr": "Équipe introuvable.", "nl": "Team niet gevonden.", "de": "Team nicht gefunden.", "en": "Team not found.",
		},
		"file.not_team_member": {
			"fr": "Vous ne faites pas partie de cette équipe.", "nl": "U maakt geen deel uit van dit team.",
			"de": "Sie gehören diesem Team nicht an.", "en": "You are not a member of this team.",
		},
		"file.unknown_note": {
			"fr": "Note introuvable dans ce dossier.", "nl": "Notitie niet gevonden in dit dossier.",
			"de": "Notiz in dieser Akte nicht gefunden.", "en": "Note not found in this file.",
		},
		"file.date_in_future": {
			"fr": "La date ne peut pas être dans le futur.", "nl": "De datum mag niet in de toekomst liggen.",
			"de": "Das Datum darf nicht in der Zukunft liegen.", "en": "The date cannot be in the future.",
		},
		"file.before_opening": {
			"fr": "La date précède l'ouverture du dossier.", "nl": "De datum ligt vóór de opening van het dossier.",
			"de": "Das Datum liegt vor der Eröffnung der Akte.", "en": "The date is before the file was opened.",
		},
		"file.applicant_exists": {
			"fr": "Le dossier a déjà un demandeur.", "nl": "Het dossier heeft al een aanvrager.",
			"de": "Die Akte hat bereits einen Antragsteller.", "en": "The file already has an applicant.",
		},
		"file.too_many_members": {
			"fr": "Au maximum {max} membres.", "nl": "Maximaal {max} leden.", "de": "Höchstens {max} Mitglieder.", "en": "At most {max} members.",
		},
		"file.already_open": {
			"fr": "Cette personne a déjà un dossier ouvert.", "nl": "Deze persoon heeft al een open dossier.",
			"de": "Diese Person hat bereits eine offene Akte.", "en": "This person already has an open file.",
		},
		"file.closed": {
			"fr": "Le dossier est clôturé.", "nl": "Het dossier is afgesloten.", "de": "Die Akte ist geschlossen.", "en": "The file is closed.",
		},
		"file.already_managed": {
			"fr": "Cette personne est déjà inscrite dans ce dossier.", "nl": "Deze persoon is al ingeschreven in dit dossier.",
			"de": "Diese Person ist bereits in dieser Akte eingetragen.", "en": "This person is already registered on this file.",
		},
		"file.team_in_use": {
			"fr": "Des dossiers sont encore attribués à cette équipe.", "nl": "Er zijn nog dossiers aan dit team toegewezen.",
			"de": "Diesem Team sind noch Akten zugewiesen.", "en": "Files are still assigned to this team.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}
