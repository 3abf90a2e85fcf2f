package document

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// Route patterns, as registered and as named in api/policy/policy.csv and api/openapi/beneficiaries.v1.yaml.
const (
	RouteUpload   = "POST /v1/files/{id}/documents"
	RouteList     = "GET /v1/files/{id}/documents"
	RouteGet      = "GET /v1/documents/{id}"
	RouteDownload = "GET /v1/documents/{id}/content"
	RouteRemove   = "POST /v1/documents/{id}/removal"
	RouteDue      = "GET /v1/retention/due"
	RoutePurge    = "POST /v1/retention/purge"
)

// Endpoints are the go-kit endpoints of the document routes.
type Endpoints struct {
	Upload, List, Get, Download, Remove endpoint.Endpoint
	RetentionDue, Purge                 endpoint.Endpoint
}

type route struct {
	pattern string
	ep      endpoint.Endpoint
	dec     kithttp.DecodeRequestFunc
	enc     kithttp.EncodeResponseFunc
}

func routeTable(e Endpoints) []route {
	return []route{
		{RouteUpload, e.Upload, decodeUpload, httpkit.EncodeJSON},
		{RouteList, e.List, decodeID, httpkit.EncodeJSON},
		{RouteGet, e.Get, decodeID, httpkit.EncodeJSON},
		{RouteDownload, e.Download, decodeID, encodeContent},
		{RouteRemove, e.Remove, decodeRemove, httpkit.EncodeJSON},
		{RouteDue, e.RetentionDue, decodeNothing, httpkit.EncodeJSON},
		{RoutePurge, e.Purge, decodePurge, httpkit.EncodeJSON},
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

// MakeHandler mounts the document routes on rt. Uploads handle their Idempotency-Key themselves (their
// bodies are too large for the shared middleware, which keeps request bodies to hash them).
func MakeHandler(rt *httpkit.Router, eps Endpoints, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := httpkit.ServerOptions(logger, kithttp.ServerBefore(authn.BearerFromHeader), kithttp.ServerErrorEncoder(encodeError))
	for _, r := range routeTable(eps) {
		rt.Handle(r.pattern, kithttp.NewServer(r.ep, r.dec, r.enc, opts...))
	}
}

// MakeEndpoints builds the endpoints; protect (authentication, then authorization) wraps every one. maxBytes
// bounds the content read from an upload.
func MakeEndpoints(s Service, protect endpoint.Middleware, maxBytes int64) Endpoints {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return Endpoints{
		// The multipart body is read here, after authentication and authorization, not in the decoder: an
		// anonymous client must not make the service read 20 MiB.
		Upload: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			r := req.(uploadRequest)
			in, err := readUpload(r.http, maxBytes)
			if err != nil {
				return nil, err
			}
			in.IdempotencyKey = r.key
			v, replayed, err := s.Upload(ctx, a, r.fileID, in)
			return created{View: v, replayed: replayed}, err
		})),
		List: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			r := req.(idRequest)
			return s.List(ctx, a, r.purpose, r.id)
		})),
		Get: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			r := req.(idRequest)
			v, err := s.Get(ctx, a, r.purpose, r.id)
			return withETag{View: v}, err
		})),
		Download: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			r := req.(idRequest)
			return s.Download(ctx, a, r.purpose, r.id)
		})),
		Remove: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			r := req.(removeRequest)
			return noContent{}, s.Remove(ctx, a, r.id, r.version, r.Reason)
		})),
		RetentionDue: protect(withActor(func(ctx context.Context, a file.Actor, _ any) (any, error) {
			return s.RetentionDue(ctx, a)
		})),
		Purge: protect(withActor(func(ctx context.Context, a file.Actor, req any) (any, error) {
			return s.Purge(ctx, a, req.(PurgeInput))
		})),
	}
}

func withActor(fn func(ctx context.Context, a file.Actor, request any) (any, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := file.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return fn(ctx, a, request)
	}
}

type uploadRequest struct {
	fileID string
	key    string
	http   *http.Request
}

type idRequest struct{ id, purpose string }

type removeRequest struct {
	id      string
	version int64
	Reason  string `json:"reason"`
}

type created struct {
	View
	replayed bool
}

func (created) StatusCode() int { return http.StatusCreated }
func (c created) Headers() http.Header {
	h := http.Header{"Etag": {file.ETag(c.Version)}, "Location": {"/v1/documents/" + c.ID}}
	if c.replayed {
		h.Set(idempotency.HeaderReplayed, "true")
	}
	return h
}

type withETag struct{ View }

func (w withETag) Headers() http.Header { return http.Header{"Etag": {file.ETag(w.Version)}} }

type noContent struct{}

func (noContent) StatusCode() int { return http.StatusNoContent }

func decodeNothing(context.Context, *http.Request) (any, error) { return nil, nil }

func decodePurge(_ context.Context, r *http.Request) (any, error) {
	var in PurgeInput
	if err := httpkit.DecodeJSON(r, &in, 256<<10); err != nil {
		return nil, err
	}
	return in, nil
}

func decodeUpload(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, problem.New(problem.UnsupportedMediaType).WithDetail("document.multipart_required")
	}
	return uploadRequest{fileID: id, key: r.Header.Get(idempotency.HeaderKey), http: r}, nil
}

// readUpload reads the form fields "type" and "file" of a multipart body, the file's content up to maxBytes
// plus one byte (so the service sees that it is too large without the service reading the rest).
func readUpload(r *http.Request, maxBytes int64) (UploadInput, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return UploadInput{}, problem.New(problem.UnsupportedMediaType).WithDetail("document.multipart_required")
	}
	var in UploadInput
	seenFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return UploadInput{}, bodyError(err)
		}
		switch part.FormName() {
		case "type":
			b, err := io.ReadAll(io.LimitReader(part, 100))
			if err != nil {
				return UploadInput{}, bodyError(err)
			}
			in.Type = string(b)
		case "file":
			if seenFile {
				return UploadInput{}, problem.Invalid(problem.Field("file", "document.one_file"))
			}
			seenFile = true
			in.Name = part.FileName()
			b, err := io.ReadAll(io.LimitReader(part, maxBytes+1))
			if err != nil {
				return UploadInput{}, bodyError(err)
			}
			in.Content = b
			if int64(len(b)) > maxBytes {
				return in, nil // too large: the rest is not read
			}
		}
		_ = part.Close()
	}
	return in, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrTooLarge
	}
	return problem.New(problem.BadRequest).WithDetail("document.multipart_invalid")
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(file.PurposeHeader)}, err
}

func decodeRemove(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	version, err := servicekit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	var req removeRequest
	if err := httpkit.DecodeJSON(r, &req, 16<<10); err != nil {
		return nil, err
	}
	req.id, req.version = id, version
	return req, nil
}

// encodeContent streams a document as an attachment with its sniffed type: a browser never renders it inline
// nor guesses another type.
func encodeContent(ctx context.Context, w http.ResponseWriter, response any) error {
	c := response.(Content)
	defer c.Body.Close()
	h := w.Header()
	h.Set("Content-Type", c.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.FormatInt(c.Size, 10))
	h.Set("ETag", file.ETag(c.Version))
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, c.Body)
	return err
}

// toProblem is the one place where the document package's errors become HTTP problems.
func toProblem(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return problem.New(problem.NotFound)
	case errors.Is(err, ErrTooLarge):
		return problem.New(problem.PayloadTooLarge).WithDetail("document.too_large")
	case errors.Is(err, ErrForbiddenType):
		return problem.New(problem.UnsupportedMediaType).WithDetail("document.type_not_allowed")
	case errors.Is(err, ErrForbidden):
		return &problem.Error{Type: problem.Forbidden, Cause: err}
	}
	return file.ToProblem(err)
}

func encodeError(ctx context.Context, err error, w http.ResponseWriter) {
	problem.EncodeError(ctx, toProblem(err), w)
}

func init() {
	for code, texts := range map[string]map[string]string{
		"document.too_large": {
			"fr": "Le document dépasse la taille maximale autorisée.", "nl": "Het document overschrijdt de toegestane maximale grootte.",
			"de": "Das Dokument überschreitet die zulässige Höchstgröße.", "en": "The document exceeds the maximum size allowed.",
		},
		"document.type_not_allowed": {
			"fr": "Type de document non accepté : PDF, JPEG, PNG, ODT ou DOCX uniquement.",
			"nl": "Documenttype niet aanvaard: enkel PDF, JPEG, PNG, ODT of DOCX.",
			"de": "Dokumenttyp nicht zulässig: nur PDF, JPEG, PNG, ODT oder DOCX.",
			"en": "Document type not accepted: PDF, JPEG, PNG, ODT or DOCX only.",
		},
		"document.multipart_required": {
			"fr": "Envoyez le document en multipart/form-data (champs « type » et « file »).",
			"nl": "Verstuur het document als multipart/form-data (velden \"type\" en \"file\").",
			"de": "Senden Sie das Dokument als multipart/form-data (Felder „type“ und „file“).",
			"en": "Send the document as multipart/form-data (fields \"type\" and \"file\").",
		},
		"document.multipart_invalid": {
			"fr": "Envoi multipart illisible.", "nl": "Onleesbare multipart-verzending.", "de": "Unlesbare Multipart-Sendung.", "en": "Unreadable multipart body.",
		},
		"document.one_file": {
			"fr": "Un seul document par envoi.", "nl": "Eén document per verzending.", "de": "Ein Dokument pro Sendung.", "en": "One document per upload.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}
