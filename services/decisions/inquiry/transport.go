package inquiry

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/letter"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RouteGet              = "GET /v1/requests/{id}/inquiry"
	RoutePut              = "PUT /v1/requests/{id}/inquiry"
	RouteHearingLetter    = "GET /v1/requests/{id}/hearing-letter"
	RouteHearingLetterPDF = "GET /v1/requests/{id}/hearing-letter.pdf"
)

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteGet, RoutePut, RouteHearingLetter, RouteHearingLetterPDF}
}

// View is a report as the API shows it.
type View struct {
	ID string `json:"id"`
	Inquiry
	// Complete: every condition was checked.
	Complete bool  `json:"complete"`
	Version  int64 `json:"version"`
}

// Headers sets the ETag.
func (v View) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

func view(rec Record) View {
	return View{ID: rec.ID, Inquiry: rec.State, Complete: rec.Version > 0 && rec.State.Complete(), Version: rec.Version}
}

type idRequest struct{ id, purpose string }

type putRequest struct {
	id      string
	version int64
	report  Report
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	hearing := func(pdf bool) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			doc, err := s.HearingLetter(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return Printable{Doc: doc, PDF: pdf, Name: "hearing"}, nil
		}
	}
	return []kit.Route{
		{Pattern: RouteGet, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			rec, err := s.Get(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return view(rec), nil
		}, Decode: decodeID},
		{Pattern: RoutePut, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(putRequest)
			rec, err := s.Put(ctx, a, r.id, r.version, r.report)
			if err != nil {
				return nil, err
			}
			return view(rec), nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := IfMatchOrNew(r)
			if err != nil {
				return nil, err
			}
			var rep Report
			if err := httpkit.DecodeJSON(r, &rep, kit.MaxJSON); err != nil {
				return nil, err
			}
			return putRequest{id: id, version: v, report: rep}, nil
		}},
		{Pattern: RouteHearingLetter, Endpoint: hearing(false), Decode: decodeID, Encode: EncodePrintable},
		{Pattern: RouteHearingLetterPDF, Endpoint: hearing(true), Decode: decodeID, Encode: EncodePrintable},
	}
}

// IfMatchOrNew reads If-Match like kit.IfMatch but accepts "0": the version of a report not written yet.
func IfMatchOrNew(r *http.Request) (int64, error) {
	im := strings.Trim(strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/"), `"`)
	if im == "0" {
		return 0, nil
	}
	return kit.IfMatch(r)
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
}

// Printable is a letter to write as HTML or PDF.
type Printable struct {
	Doc  letter.Document
	PDF  bool
	Name string
}

// EncodePrintable writes a Printable.
func EncodePrintable(_ context.Context, w http.ResponseWriter, resp any) error {
	p := resp.(Printable)
	var buf bytes.Buffer
	if p.PDF {
		if err := p.Doc.PDF(&buf, letter.PDFOptions{}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="`+p.Name+`.pdf"`)
	} else {
		if err := p.Doc.HTML(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(p.Doc.Lang))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := w.Write(buf.Bytes())
	return err
}
