package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/problem"
)

// DefaultMaxBody is the largest JSON body a service accepts unless it says otherwise.
const DefaultMaxBody = 1 << 20

// DecodeJSON reads a JSON object into v, strictly: the Content-Type must be JSON, the body at most max bytes
// (DefaultMaxBody when max <= 0), unknown fields and trailing data are refused. Every failure is a problem error
// naming the field when one is at fault.
func DecodeJSON(r *http.Request, v any, max int64) error {
	if max <= 0 {
		max = DefaultMaxBody
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return problem.New(problem.UnsupportedMediaType).WithDetail("json_required")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return problem.New(problem.PayloadTooLarge)
		}
		return problem.New(problem.BadRequest).WithDetail("invalid_json")
	}
	if int64(len(body)) > max {
		return &problem.Error{Type: problem.PayloadTooLarge, Fields: []problem.FieldError{problem.Field("", "body_too_large", "max", max)}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return problem.New(problem.BadRequest).WithDetail("invalid_json")
	}
	return nil
}

func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return problem.Invalid(problem.Field(field, "wrong_type"))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return problem.Invalid(problem.Field(field, "unknown_field"))
	}
	return problem.New(problem.BadRequest).WithDetail("invalid_json")
}

// Failer is implemented by responses that carry a business failure (go-kit's convention).
type Failer interface{ Failed() error }

// EncodeJSON is a go-kit EncodeResponseFunc: business failures become problems; responses may choose their
// status (kithttp.StatusCoder) and headers (kithttp.Headerer). A nil body answers 204.
func EncodeJSON(ctx context.Context, w http.ResponseWriter, response any) error {
	if f, ok := response.(Failer); ok && f.Failed() != nil {
		problem.EncodeError(ctx, f.Failed(), w)
		return nil
	}
	if h, ok := response.(kithttp.Headerer); ok {
		for k, vs := range h.Headers() {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	status := http.StatusOK
	if sc, ok := response.(kithttp.StatusCoder); ok {
		status = sc.StatusCode()
	}
	if response == nil || status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(response)
}
