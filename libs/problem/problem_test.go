package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteValidationInUserLanguage(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/users", nil)
	r.Header.Set("Accept-Language", "nl-BE")
	w := httptest.NewRecorder()
	var fs Fields
	fs.Add("email", "required")
	fs.Add("name", "too_long", "max", 70)
	Write(w, r, fmt.Errorf("create user: %w", fs.Err()))

	if w.Code != 422 || w.Header().Get("Content-Type") != ContentType {
		t.Fatalf("status %d, content-type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var doc Document
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != "urn:entraide:problem:validation" || doc.Title != "Sommige gegevens zijn ongeldig" || doc.Instance != "/v1/users" {
		t.Errorf("doc = %+v", doc)
	}
	if len(doc.Errors) != 2 || doc.Errors[0].Message != "Dit veld is verplicht." || doc.Errors[1].Message != "Maximaal 70 tekens." {
		t.Errorf("errors = %+v", doc.Errors)
	}
}

func TestInternalErrorsAreNotEchoed(t *testing.T) {
	w := httptest.NewRecorder()
	WriteLang(w, "fr", "", errors.New("mongo: connection to 10.0.0.5 refused for user jean.dupont"))
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	if body := w.Body.String(); strings.Contains(body, "mongo") || strings.Contains(body, "dupont") {
		t.Fatalf("internal cause leaked: %s", body)
	}
}

func TestExtraMembers(t *testing.T) {
	w := httptest.NewRecorder()
	WriteLang(w, "en", "", New(VersionConflict).With("currentVersion", 7))
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if body["currentVersion"] != float64(7) || body["title"] != "Changed meanwhile by someone else" {
		t.Fatalf("body = %v", body)
	}
}

func TestEveryTypeHasEveryLanguage(t *testing.T) {
	for _, ty := range []*Type{BadRequest, Validation, Unauthorized, InvalidCredentials, Forbidden, NotFound, MethodNotAllowed, Conflict,
		VersionConflict, PreconditionFailed, PreconditionRequired, PayloadTooLarge, UnsupportedMediaType, TooManyRequests,
		IdempotencyKeyReused, RequestInProgress, Internal, Unavailable} {
		for _, l := range []string{"fr", "nl", "de", "en"} {
			if ty.Titles[l] == "" {
				t.Errorf("%s has no %s title", ty.Slug, l)
			}
		}
	}
}
