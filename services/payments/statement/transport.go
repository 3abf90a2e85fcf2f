package statement

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteImport = "POST /v1/statements"
	RouteList   = "GET /v1/statements"
	RouteGet    = "GET /v1/statements/{id}"
)

// IdempotentRoutes honour an Idempotency-Key. The import does it itself (not through the middleware, which would
// hold the whole body in memory to hash it): the key is reserved before the file is read and the report stored
// once it is imported; a refused file releases the key (nothing was imported, a retry runs again).
var IdempotentRoutes = []string{RouteImport}

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteImport, RouteList, RouteGet} }

// View is a statement as the API shows it.
type View struct {
	ID string `json:"id"`
	Statement
	Version int64 `json:"version"`
}

// Page is a page of statements.
type Page struct {
	Items    []View `json:"items"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
}

type importRequest struct{ r *http.Request }

// result is the import's answer, JSON already rendered (stored for the Idempotency-Key's replays).
type result struct {
	status   int
	body     []byte
	replayed bool
}

func encodeResult(_ context.Context, w http.ResponseWriter, resp any) error {
	res := resp.(result)
	w.Header().Set("Content-Type", "application/json")
	if res.replayed {
		w.Header().Set(idempotency.HeaderReplayed, "true")
	}
	w.WriteHeader(res.status)
	_, err := w.Write(res.body)
	return err
}

// formatOf reads the format a client declared: the field or query "format" (camt.053 or coda), else the
// content type (XML is camt.053, text/plain or application/x-coda is CODA); "" lets the first bytes decide.
func formatOf(declared, contentType string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(declared)) {
	case "":
	case "camt", "camt.053", "camt053":
		return FormatCAMT, nil
	case "coda":
		return FormatCODA, nil
	default:
		return "", problem.Invalid(problem.Field("format", "payments.statement_format"))
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/xml", "text/xml":
		return FormatCAMT, nil
	case "application/x-coda", "text/x-coda":
		return FormatCODA, nil
	}
	return "", nil
}

// body opens the uploaded file: a multipart form's "file" part (a "format" part may come before it) or the raw
// body. Nothing is buffered: the parser reads the network stream.
func (s *Service) body(r *http.Request) (io.Reader, string, string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, s.MaxBytes+1<<20)
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		format, err := formatOf(r.URL.Query().Get("format"), ct)
		var name string
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
			name = params["filename"]
		}
		return r.Body, format, name, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", "", problem.Invalid(problem.Field("file", "payments.statement_unreadable"))
	}
	declared := r.URL.Query().Get("format")
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", "", problem.Invalid(problem.Field("file", "required"))
		}
		if err != nil {
			return nil, "", "", problem.Invalid(problem.Field("file", "payments.statement_unreadable"))
		}
		switch part.FormName() {
		case "format":
			b, _ := io.ReadAll(io.LimitReader(part, 32))
			declared = string(b)
		case "file":
			format, err := formatOf(declared, part.Header.Get("Content-Type"))
			if err == nil && declared == "" && part.Header.Get("Content-Type") == "application/octet-stream" {
				format = ""
			}
			name := part.FileName()
			if len(name) > 200 {
				name = name[:200]
			}
			return part, format, name, err
		}
	}
}

// KitRoutes are the package's routes with their endpoints; idem keeps the import's Idempotency-Keys.
func (s *Service) KitRoutes(idem *idempotency.Store) []kit.Route {
	return []kit.Route{
		{Pattern: RouteImport, Encode: encodeResult, Decode: func(_ context.Context, r *http.Request) (any, error) {
			return importRequest{r: r}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(importRequest).r
			var scope *idempotency.Scope
			if keys, ok := r.Header[http.CanonicalHeaderKey(idempotency.HeaderKey)]; ok && idem != nil {
				if len(keys) != 1 || !idempotency.ValidKey(keys[0]) {
					return nil, problem.Invalid(problem.Field(idempotency.HeaderKey, "invalid"))
				}
				scope = &idempotency.Scope{Tenant: a.Tenant, Principal: a.UserID, Key: keys[0]}
				stored, err := idem.Reserve(ctx, *scope, idempotency.RequestHash(http.MethodPost, "/v1/statements", nil))
				switch {
				case errors.Is(err, idempotency.ErrInProgress):
					return nil, problem.New(problem.RequestInProgress)
				case errors.Is(err, idempotency.ErrKeyReused):
					return nil, problem.New(problem.IdempotencyKeyReused)
				case err != nil:
					return nil, err
				case stored != nil:
					return result{status: stored.Status, body: stored.Body, replayed: true}, nil
				}
			}
			rep, err := s.upload(ctx, a, r)
			if err != nil {
				if scope != nil {
					_ = idem.Release(context.WithoutCancel(ctx), *scope)
				}
				return nil, err
			}
			body, _ := json.Marshal(rep)
			res := result{status: rep.StatusCode(), body: body}
			if scope != nil {
				_ = idem.Complete(context.WithoutCancel(ctx), *scope, idempotency.Response{Status: res.status,
					Header: map[string]string{"Content-Type": "application/json"}, Body: body})
			}
			return res, nil
		}},
		{Pattern: RouteList, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			q := r.URL.Query()
			lr := listRequest{account: strings.ReplaceAll(q.Get("account"), " ", "")}
			lr.page, lr.size = schedule.Paging(q, &fs)
			return lr, fs.Err()
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			lr := req.(listRequest)
			return s.List(ctx, a, lr.account, lr.page, lr.size)
		}},
		{Pattern: RouteGet, Decode: func(_ context.Context, r *http.Request) (any, error) {
			return kit.PathID(r)
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Statements.Load(ctx, a.Tenant, req.(string))
			if errors.Is(err, store.ErrNotFound) || (err == nil && rec.State.Status == StatusStaging) {
				return nil, kit.ErrNotFound
			}
			if err != nil {
				return nil, err
			}
			return View{ID: rec.ID, Statement: rec.State, Version: rec.Version}, nil
		}},
	}
}

type listRequest struct {
	account    string
	page, size int
}

func (s *Service) upload(ctx context.Context, a kit.Actor, r *http.Request) (Report, error) {
	body, format, name, err := s.body(r)
	if err != nil {
		return Report{}, err
	}
	return s.Import(ctx, a, format, name, body)
}

// List reads a page of the tenant's imported statements, newest first.
func (s *Service) List(ctx context.Context, a kit.Actor, account string, page, size int) (Page, error) {
	f := bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: StatusStaging}}}}
	if account != "" {
		f = append(f, bson.E{Key: "account", Value: account})
	}
	recs, err := s.Statements.Find(ctx, a.Tenant, f, options.Find().SetSort(bson.D{{Key: "imported_at", Value: -1}, {Key: "_id", Value: 1}}).
		SetSkip(int64((page-1)*size)).SetLimit(int64(size)))
	if err != nil {
		return Page{}, err
	}
	out := Page{Items: []View{}, Page: page, PageSize: size}
	for _, rec := range recs {
		out.Items = append(out.Items, View{ID: rec.ID, Statement: rec.State, Version: rec.Version})
	}
	return out, nil
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.statement_format": {
			"fr": "Format de relevé inconnu : camt.053 (XML) ou CODA.", "nl": "Onbekend uittrekselformaat: camt.053 (XML) of CODA.",
			"de": "Unbekanntes Auszugsformat: camt.053 (XML) oder CODA.", "en": "Unknown statement format: camt.053 (XML) or CODA."},
		"payments.statement_format_mismatch": {
			"fr": "Le fichier n'est pas au format annoncé.", "nl": "Het bestand heeft niet het opgegeven formaat.",
			"de": "Die Datei hat nicht das angegebene Format.", "en": "The file is not in the declared format."},
		"payments.statement_unreadable": {
			"fr": "Le fichier n'a pas pu être lu.", "nl": "Het bestand kon niet gelezen worden.",
			"de": "Die Datei konnte nicht gelesen werden.", "en": "The file could not be read."},
		"payments.statement_doctype": {
			"fr": "Ligne {line} : une déclaration DOCTYPE ou d'entité est refusée ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: een DOCTYPE- of entiteitsdeclaratie wordt geweigerd ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Eine DOCTYPE- oder Entitätsdeklaration wird abgelehnt ({element}). Nichts wurde importiert.",
			"en": "Line {line}: a DOCTYPE or entity declaration is refused ({element}). Nothing was imported."},
		"payments.statement_version": {
			"fr": "Ligne {line} : ce n'est pas un relevé camt.053.001.02 ou camt.053.001.08 ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: dit is geen camt.053.001.02- of camt.053.001.08-uittreksel ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Kein Auszug camt.053.001.02 oder camt.053.001.08 ({element}). Nichts wurde importiert.",
			"en": "Line {line}: not a camt.053.001.02 or camt.053.001.08 statement ({element}). Nothing was imported."},
		"payments.statement_truncated": {
			"fr": "Ligne {line} : le fichier s'arrête avant la fin du relevé ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: het bestand stopt voor het einde van het uittreksel ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Die Datei endet vor dem Ende des Auszugs ({element}). Nichts wurde importiert.",
			"en": "Line {line}: the file ends before the statement does ({element}). Nothing was imported."},
		"payments.statement_malformed": {
			"fr": "Ligne {line} : fichier mal formé ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: misvormd bestand ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: fehlerhafte Datei ({element}). Nichts wurde importiert.",
			"en": "Line {line}: malformed file ({element}). Nothing was imported."},
		"payments.statement_missing": {
			"fr": "Ligne {line} : élément obligatoire manquant ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: verplicht element ontbreekt ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Pflichtelement fehlt ({element}). Nichts wurde importiert.",
			"en": "Line {line}: a required element is missing ({element}). Nothing was imported."},
		"payments.statement_invalid": {
			"fr": "Ligne {line} : valeur invalide ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: ongeldige waarde ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: ungültiger Wert ({element}). Nichts wurde importiert.",
			"en": "Line {line}: invalid value ({element}). Nothing was imported."},
		"payments.statement_continuity": {
			"fr": "Ligne {line} : le solde d'ouverture plus les mouvements ne donne pas le solde de clôture ({element} : {detail}). Rien n'a été importé.",
			"nl": "Regel {line}: beginsaldo plus verrichtingen geeft niet het eindsaldo ({element}: {detail}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Anfangssaldo plus Buchungen ergibt nicht den Endsaldo ({element}: {detail}). Nichts wurde importiert.",
			"en": "Line {line}: opening balance plus entries does not give the closing balance ({element}: {detail}). Nothing was imported."},
		"payments.statement_gap": {
			"fr": "Ligne {line} : le relevé ne suit pas le précédent du compte, il en manque ({element} : {detail}). Rien n'a été importé.",
			"nl": "Regel {line}: het uittreksel volgt niet op het vorige van de rekening, er ontbreken er ({element}: {detail}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Der Auszug folgt nicht auf den vorigen des Kontos, es fehlen welche ({element}: {detail}). Nichts wurde importiert.",
			"en": "Line {line}: the statement does not follow the account's previous one, some are missing ({element}: {detail}). Nothing was imported."},
		"payments.statement_opening": {
			"fr": "Ligne {line} : le solde d'ouverture n'est pas le solde de clôture du relevé précédent ({element} : {detail}). Rien n'a été importé.",
			"nl": "Regel {line}: het beginsaldo is niet het eindsaldo van het vorige uittreksel ({element}: {detail}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Der Anfangssaldo ist nicht der Endsaldo des vorigen Auszugs ({element}: {detail}). Nichts wurde importiert.",
			"en": "Line {line}: the opening balance is not the previous statement's closing balance ({element}: {detail}). Nothing was imported."},
		"payments.statement_currency": {
			"fr": "Ligne {line} : seuls les comptes en euros sont importés ({element}). Rien n'a été importé.",
			"nl": "Regel {line}: alleen rekeningen in euro worden geïmporteerd ({element}). Niets werd geïmporteerd.",
			"de": "Zeile {line}: Nur Konten in Euro werden importiert ({element}). Nichts wurde importiert.",
			"en": "Line {line}: only euro accounts are imported ({element}). Nothing was imported."},
		"payments.statement_empty": {
			"fr": "Le fichier ne contient aucun relevé.", "nl": "Het bestand bevat geen uittreksel.",
			"de": "Die Datei enthält keinen Auszug.", "en": "The file holds no statement."},
		"payments.statement_in_progress": {
			"fr": "Ce relevé est en cours d'import.", "nl": "Dit uittreksel wordt momenteel geïmporteerd.",
			"de": "Dieser Auszug wird gerade importiert.", "en": "This statement is being imported."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
