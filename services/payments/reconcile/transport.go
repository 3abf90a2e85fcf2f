package reconcile

import (
	"context"
	"net/http"
	"slices"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteQueue = "GET /v1/reconciliation-queue"
	RouteItem  = "GET /v1/reconciliation-queue/{id}"
	RouteMatch = "POST /v1/reconciliation-queue/{id}/match"
)

// PurposeRoutes need X-Purpose (the lines name the other party and its account).
var PurposeRoutes = []string{RouteQueue, RouteItem}

// IfMatchRoutes need If-Match (the version of the item the accountant saw).
var IfMatchRoutes = []string{RouteMatch}

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteQueue, RouteItem, RouteMatch} }

// ItemView is a queued line as the API shows it.
type ItemView struct {
	ID string `json:"id"`
	Item
	Version     int64        `json:"version"`
	Suggestions []Suggestion `json:"suggestions,omitempty"`
	// ReceivableSuggestions: for an open credit line, the open receivables it may pay.
	ReceivableSuggestions []ReceivableSuggestion `json:"receivable_suggestions,omitempty"`
	// BookedOnReceivable: for an open credit line already booked on a receivable (a match interrupted by a crash,
	// until the repair completes it), that receivable: the only match the line takes.
	BookedOnReceivable *BookedOn `json:"booked_on_receivable,omitempty"`
}

// Headers sets the ETag.
func (v ItemView) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

// QueuePage is a page of the queue.
type QueuePage struct {
	Items      []ItemView `json:"items"`
	Page       int        `json:"page"`
	PageSize   int        `json:"page_size"`
	TotalCount int64      `json:"total_count"`
}

type queueRequest struct {
	status, purpose string
	page, size      int
}

type itemRequest struct{ id, purpose string }

type matchRequest struct {
	id      string
	version int64
	in      MatchInput
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteQueue, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			q := r.URL.Query()
			qr := queueRequest{status: q.Get("status"), purpose: r.Header.Get(kit.PurposeHeader)}
			if qr.status == "" {
				qr.status = ItemOpen
			} else if !slices.Contains([]string{ItemOpen, ItemMatched}, qr.status) {
				fs.Add("status", "invalid")
			}
			qr.page, qr.size = schedule.Paging(q, &fs)
			return qr, fs.Err()
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			qr := req.(queueRequest)
			if err := kit.CheckPurpose(qr.purpose); err != nil {
				return nil, err
			}
			recs, total, err := s.List(ctx, a, qr.status, int64((qr.page-1)*qr.size), int64(qr.size))
			if err != nil {
				return nil, err
			}
			out := QueuePage{Items: []ItemView{}, Page: qr.page, PageSize: qr.size, TotalCount: total}
			for _, rec := range recs {
				out.Items = append(out.Items, ItemView{ID: rec.ID, Item: rec.State, Version: rec.Version})
			}
			s.Audit.Record(ctx, a, kit.Entry{Action: "reconciliation.queue.read", ResourceType: "reconciliation_queue", Purpose: qr.purpose})
			return out, nil
		}},
		{Pattern: RouteItem, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			return itemRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			ir := req.(itemRequest)
			if err := kit.CheckPurpose(ir.purpose); err != nil {
				return nil, err
			}
			rec, err := s.Get(ctx, a, ir.id)
			if err != nil {
				return nil, err
			}
			v := ItemView{ID: rec.ID, Item: rec.State, Version: rec.Version, Suggestions: []Suggestion{}}
			if rec.State.Status == ItemOpen {
				if v.Suggestions, err = s.Suggestions(ctx, a.Tenant, rec.State); err != nil {
					return nil, err
				}
				if v.ReceivableSuggestions, err = s.ReceivableSuggestions(ctx, a.Tenant, rec.State); err != nil {
					return nil, err
				}
				if v.BookedOnReceivable, err = s.bookedOn(ctx, a.Tenant, rec.State); err != nil {
					return nil, err
				}
			}
			s.Audit.Record(ctx, a, kit.Entry{Action: "reconciliation.item.read", ResourceType: "reconciliation_item", ResourceID: rec.ID,
				Purpose: ir.purpose})
			return v, nil
		}},
		{Pattern: RouteMatch, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			mr := matchRequest{id: id, version: v}
			err = httpkit.DecodeJSON(r, &mr.in, kit.MaxJSON)
			return mr, err
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			mr := req.(matchRequest)
			rec, err := s.ManualMatch(ctx, a, mr.id, mr.version, mr.in)
			if err != nil {
				return nil, err
			}
			return ItemView{ID: rec.ID, Item: rec.State, Version: rec.Version}, nil
		}},
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.amount_mismatch": {"fr": "Le montant du paiement n'est pas celui de la ligne du relevé.",
			"nl": "Het bedrag van de betaling is niet dat van de lijn van het uittreksel.",
			"de": "Der Betrag der Zahlung ist nicht der der Auszugszeile.", "en": "The payment's amount is not the statement line's."},
		"payments.payment_unknown": {"fr": "Paiement inconnu.", "nl": "Onbekende betaling.", "de": "Unbekannte Zahlung.", "en": "Unknown payment."},
		"payments.payment_not_sent": {"fr": "Ce paiement n'est pas exporté (ou déjà comptabilisé par une autre ligne).",
			"nl": "Deze betaling is niet geëxporteerd (of al door een andere lijn geboekt).",
			"de": "Diese Zahlung ist nicht exportiert (oder bereits durch eine andere Zeile gebucht).",
			"en": "This payment is not exported (or already booked by another line)."},
		"payments.note_length": {"fr": "Une explication de 3 à 500 caractères.", "nl": "Een toelichting van 3 tot 500 tekens.",
			"de": "Eine Erklärung von 3 bis 500 Zeichen.", "en": "An explanation of 3 to 500 characters."},
		"payments.item_matched": {"fr": "Cette ligne est déjà rapprochée.", "nl": "Deze lijn is al afgestemd.",
			"de": "Diese Zeile ist bereits abgeglichen.", "en": "This line is already matched."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
