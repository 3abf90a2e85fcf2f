package file

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/problem"
)

// Endpoints are the go-kit endpoints of the file routes, one per route.
type Endpoints struct {
	OpenFile, ListFiles, GetFile, Reassign, CloseFile, RegisterMember endpoint.Endpoint
	AddNote, Journal                                                  endpoint.Endpoint
	ListTeams, CreateTeam, GetTeam, UpdateTeam, DeleteTeam            endpoint.Endpoint
	Caseload, CompleteTask, SetLegalHold                              endpoint.Endpoint
}

// MakeEndpoints builds the endpoints; protect (authentication, then authorization) wraps every one.
func MakeEndpoints(s Service, protect endpoint.Middleware) Endpoints {
	return Endpoints{
		OpenFile: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			v, err := s.OpenFile(ctx, a, r.(OpenInput))
			return versioned{body: v, version: v.Version, location: "/v1/files/" + v.ID, status: http.StatusCreated}, err
		})),
		ListFiles: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(listFilesRequest)
			return s.ListFiles(ctx, a, q.purpose, q.FileQuery)
		})),
		GetFile: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(idRequest)
			v, err := s.GetFile(ctx, a, q.purpose, q.id)
			return versioned{body: v, version: v.Version}, err
		})),
		Reassign: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[AssignInput])
			v, err := s.Reassign(ctx, a, q.id, q.version, q.body)
			return versioned{body: v, version: v.Version}, err
		})),
		CloseFile: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[CloseInput])
			v, err := s.CloseFile(ctx, a, q.id, q.version, q.body)
			return versioned{body: v, version: v.Version}, err
		})),
		RegisterMember: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[MemberInput])
			v, err := s.RegisterMember(ctx, a, q.id, q.version, q.body)
			return versioned{body: v, version: v.Version}, err
		})),
		AddNote: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(createRequest[NoteInput])
			v, err := s.AddNote(ctx, a, q.id, q.body)
			return versioned{body: v, status: http.StatusCreated}, err
		})),
		Journal: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(idRequest)
			return s.Journal(ctx, a, q.purpose, q.id)
		})),
		ListTeams: protect(withActor(func(ctx context.Context, a Actor, _ any) (any, error) {
			return s.ListTeams(ctx, a)
		})),
		CreateTeam: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			v, err := s.CreateTeam(ctx, a, r.(TeamInput))
			return versioned{body: v, version: v.Version, location: "/v1/teams/" + v.ID, status: http.StatusCreated}, err
		})),
		GetTeam: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			v, err := s.GetTeam(ctx, a, r.(idRequest).id)
			return versioned{body: v, version: v.Version}, err
		})),
		UpdateTeam: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[TeamInput])
			v, err := s.UpdateTeam(ctx, a, q.id, q.version, q.body)
			return versioned{body: v, version: v.Version}, err
		})),
		DeleteTeam: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[struct{}])
			return versioned{status: http.StatusNoContent}, s.DeleteTeam(ctx, a, q.id, q.version)
		})),
		Caseload: protect(withActor(func(ctx context.Context, a Actor, _ any) (any, error) {
			return s.Caseload(ctx, a)
		})),
		SetLegalHold: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[LegalHoldInput])
			v, err := s.SetLegalHold(ctx, a, q.id, q.version, q.body)
			return versioned{body: v, version: v.Version}, err
		})),
		CompleteTask: protect(withActor(func(ctx context.Context, a Actor, r any) (any, error) {
			q := r.(updateRequest[struct{}])
			v, err := s.CompleteTask(ctx, a, q.id, q.version)
			return versioned{body: v, version: v.Version}, err
		})),
	}
}

// ActorFrom reads the caller from the claims authn.Middleware verified.
func ActorFrom(ctx context.Context) (Actor, error) {
	c, ok := authn.ClaimsFrom(ctx)
	if !ok {
		return Actor{}, problem.New(problem.Unauthorized)
	}
	return Actor{UserID: c.Subject, Tenant: c.Tenant, Roles: c.Roles}, nil
}

func withActor(fn func(ctx context.Context, a Actor, request any) (any, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return fn(ctx, a, request)
	}
}

type idRequest struct {
	id      string
	purpose string
}

type listFilesRequest struct {
	FileQuery
	purpose string
}

type createRequest[T any] struct {
	id   string
	body T
}

type updateRequest[T any] struct {
	id      string
	version int64
	body    T
}

// versioned is an answer with an ETag (version > 0), a Location and a status of its choice (200 by default).
type versioned struct {
	body     any
	version  int64
	location string
	status   int
}

// ETag is the ETag of a version.
func ETag(version int64) string { return strconv.Quote(strconv.FormatInt(version, 10)) }

func (v versioned) StatusCode() int {
	if v.status == 0 {
		return http.StatusOK
	}
	return v.status
}

func (v versioned) Headers() http.Header {
	h := http.Header{}
	if v.version > 0 {
		h.Set("ETag", ETag(v.version))
	}
	if v.location != "" {
		h.Set("Location", v.location)
	}
	return h
}

// MarshalJSON writes the body alone.
func (v versioned) MarshalJSON() ([]byte, error) { return json.Marshal(v.body) }
