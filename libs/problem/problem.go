// Package problem carries the errors a service reports to its clients and renders them as RFC 9457
// application/problem+json: a stable `type` a program can switch on, a `title` in the user's language, and, for
// bad input, one entry per field with a localized message. Internal errors are never echoed: a client gets a
// generic 500 and the log gets the cause.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/entraide/entraide/libs/lang"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// Type is a kind of problem: a stable URI, an HTTP status and a title per language.
type Type struct {
	Slug   string
	Status int
	Titles map[string]string
}

// URI is the stable identifier clients match on.
func (t *Type) URI() string { return "urn:entraide:problem:" + t.Slug }

// Title returns the title in the given language, falling back to French then English.
func (t *Type) Title(code string) string {
	for _, c := range []string{code, lang.Default, "en"} {
		if s, ok := t.Titles[c]; ok {
			return s
		}
	}
	return t.Slug
}

// The problem types shared by every service. Services may declare their own with NewType.
var (
	BadRequest = NewType("bad-request", http.StatusBadRequest, map[string]string{
		"fr": "Requête mal formée", "nl": "Verkeerd opgemaakt verzoek", "de": "Fehlerhafte Anfrage", "en": "Malformed request"})
	Validation = NewType("validation", http.StatusUnprocessableEntity, map[string]string{
		"fr": "Certaines données sont invalides", "nl": "Sommige gegevens zijn ongeldig", "de": "Einige Angaben sind ungültig", "en": "Some data is invalid"})
	Unauthorized = NewType("unauthorized", http.StatusUnauthorized, map[string]string{
		"fr": "Authentification requise", "nl": "Authenticatie vereist", "de": "Anmeldung erforderlich", "en": "Authentication required"})
	InvalidCredentials = NewType("invalid-credentials", http.StatusUnauthorized, map[string]string{
		"fr": "Identifiant ou mot de passe incorrect", "nl": "Gebruikersnaam of wachtwoord onjuist", "de": "Benutzername oder Passwort falsch", "en": "Wrong username or password"})
	Forbidden = NewType("forbidden", http.StatusForbidden, map[string]string{
		"fr": "Accès refusé", "nl": "Toegang geweigerd", "de": "Zugriff verweigert", "en": "Access denied"})
	NotFound = NewType("not-found", http.StatusNotFound, map[string]string{
		"fr": "Ressource introuvable", "nl": "Niet gevonden", "de": "Nicht gefunden", "en": "Not found"})
	MethodNotAllowed = NewType("method-not-allowed", http.StatusMethodNotAllowed, map[string]string{
		"fr": "Méthode non autorisée", "nl": "Methode niet toegestaan", "de": "Methode nicht erlaubt", "en": "Method not allowed"})
	Conflict = NewType("conflict", http.StatusConflict, map[string]string{
		"fr": "Conflit avec l'état actuel", "nl": "Conflict met de huidige toestand", "de": "Konflikt mit dem aktuellen Zustand", "en": "Conflict with the current state"})
	VersionConflict = NewType("version-conflict", http.StatusConflict, map[string]string{
		"fr": "Modifié entre-temps par quelqu'un d'autre", "nl": "Intussen door iemand anders gewijzigd", "de": "Inzwischen von jemand anderem geändert", "en": "Changed meanwhile by someone else"})
	PreconditionFailed = NewType("precondition-failed", http.StatusPreconditionFailed, map[string]string{
		"fr": "La version indiquée n'est plus la version actuelle", "nl": "De opgegeven versie is niet meer de huidige", "de": "Die angegebene Version ist nicht mehr aktuell", "en": "The given version is no longer current"})
	PreconditionRequired = NewType("precondition-required", http.StatusPreconditionRequired, map[string]string{
		"fr": "En-tête If-Match requis", "nl": "If-Match-header vereist", "de": "If-Match-Header erforderlich", "en": "If-Match header required"})
	PayloadTooLarge = NewType("payload-too-large", http.StatusRequestEntityTooLarge, map[string]string{
		"fr": "Contenu trop volumineux", "nl": "Inhoud te groot", "de": "Inhalt zu groß", "en": "Content too large"})
	UnsupportedMediaType = NewType("unsupported-media-type", http.StatusUnsupportedMediaType, map[string]string{
		"fr": "Type de contenu non pris en charge", "nl": "Inhoudstype niet ondersteund", "de": "Inhaltstyp nicht unterstützt", "en": "Unsupported content type"})
	TooManyRequests = NewType("too-many-requests", http.StatusTooManyRequests, map[string]string{
		"fr": "Trop de tentatives, réessayez plus tard", "nl": "Te veel pogingen, probeer later opnieuw", "de": "Zu viele Versuche, bitte später erneut", "en": "Too many attempts, try again later"})
	IdempotencyKeyReused = NewType("idempotency-key-reused", http.StatusUnprocessableEntity, map[string]string{
		"fr": "Cette clé d'idempotence a déjà servi pour une autre requête", "nl": "Deze idempotentiesleutel werd al voor een ander verzoek gebruikt", "de": "Dieser Idempotenzschlüssel wurde bereits für eine andere Anfrage verwendet", "en": "This idempotency key was used for another request"})
	RequestInProgress = NewType("request-in-progress", http.StatusConflict, map[string]string{
		"fr": "Une requête identique est en cours de traitement", "nl": "Een identiek verzoek wordt nog verwerkt", "de": "Eine identische Anfrage wird noch bearbeitet", "en": "An identical request is still being processed"})
	Internal = NewType("internal", http.StatusInternalServerError, map[string]string{
		"fr": "Erreur interne, l'incident a été enregistré", "nl": "Interne fout, het incident werd geregistreerd", "de": "Interner Fehler, der Vorfall wurde protokolliert", "en": "Internal error, the incident was logged"})
	Unavailable = NewType("unavailable", http.StatusServiceUnavailable, map[string]string{
		"fr": "Service momentanément indisponible", "nl": "Dienst tijdelijk niet beschikbaar", "de": "Dienst vorübergehend nicht verfügbar", "en": "Service temporarily unavailable"})
)

// NewType declares a problem type.
func NewType(slug string, status int, titles map[string]string) *Type {
	return &Type{Slug: slug, Status: status, Titles: titles}
}

// FieldError says what is wrong with one field of the input. Code names a message of the catalog (see Messages);
// Params fill its placeholders ({max}, {min}…).
type FieldError struct {
	Field  string
	Code   string
	Params map[string]any
}

// Field builds a FieldError.
func Field(field, code string, params ...any) FieldError {
	fe := FieldError{Field: field, Code: code}
	if len(params) > 0 {
		fe.Params = map[string]any{}
		for i := 0; i+1 < len(params); i += 2 {
			fe.Params[fmt.Sprint(params[i])] = params[i+1]
		}
	}
	return fe
}

// Error is an error a client may see.
type Error struct {
	Type *Type
	// Detail is a message code of the catalog, or a plain text that must hold no personal data.
	Detail string
	Fields []FieldError
	// Extra members of the problem document (e.g. "currentVersion").
	Extra map[string]any
	// Cause is logged, never sent.
	Cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Type.Slug)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Fields {
		b.WriteString("; " + f.Field + ": " + f.Code)
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of type t.
func New(t *Type) *Error { return &Error{Type: t} }

// WithDetail sets the detail (a catalog code or a text without personal data).
func (e *Error) WithDetail(detail string) *Error { e.Detail = detail; return e }

// With adds an extra member.
func (e *Error) With(key string, value any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = value
	return e
}

// Invalid returns a validation error listing the fields in error.
func Invalid(fields ...FieldError) *Error { return &Error{Type: Validation, Fields: fields} }

// Fields accumulates field errors while validating an input.
type Fields []FieldError

// Add records a field error.
func (fs *Fields) Add(field, code string, params ...any) {
	*fs = append(*fs, Field(field, code, params...))
}

// Err returns a validation error when any field is in error, else nil.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	return Invalid(fs...)
}

// As returns the *Error in err's chain, or an Internal error wrapping err.
func As(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Type: Internal, Cause: err}
}

// Document is the JSON body of a problem (RFC 9457) with Entraide's "errors" extension for fields.
type Document struct {
	Type     string          `json:"type"`
	Title    string          `json:"title"`
	Status   int             `json:"status"`
	Detail   string          `json:"detail,omitempty"`
	Instance string          `json:"instance,omitempty"`
	Errors   []FieldDocument `json:"errors,omitempty"`
}

// FieldDocument is one field error as sent to the client.
type FieldDocument struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Render builds the document of err in language code.
func Render(err error, code string) (Document, map[string]any) {
	pe := As(err)
	doc := Document{Type: pe.Type.URI(), Title: pe.Type.Title(code), Status: pe.Type.Status}
	if pe.Type != Internal && pe.Detail != "" {
		doc.Detail = Message(code, pe.Detail, nil)
	}
	for _, f := range pe.Fields {
		doc.Errors = append(doc.Errors, FieldDocument{Field: f.Field, Code: f.Code, Message: Message(code, f.Code, f.Params)})
	}
	return doc, pe.Extra
}

// Write sends err as problem+json in the request's language.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	WriteLang(w, lang.FromRequest(r), r.URL.Path, err)
}

// WriteLang sends err as problem+json in the given language.
func WriteLang(w http.ResponseWriter, code, instance string, err error) {
	doc, extra := Render(err, code)
	doc.Instance = instance
	body := map[string]any{}
	raw, _ := json.Marshal(doc)
	_ = json.Unmarshal(raw, &body)
	for k, v := range extra {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Language", code)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if doc.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="entraide"`)
	}
	w.WriteHeader(doc.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// EncodeError is a go-kit transport/http ErrorEncoder: the language comes from the context (see lang.WithLang,
// set by httpkit's server options).
func EncodeError(ctx context.Context, err error, w http.ResponseWriter) {
	WriteLang(w, lang.FromContext(ctx), "", err)
}
