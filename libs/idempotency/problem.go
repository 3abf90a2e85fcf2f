package idempotency

import (
	"errors"
	"net/http"

	"github.com/entraide/entraide/libs/problem"
)

// WriteProblem answers the middleware's refusals as problem+json in the user's language (pass it as the
// middleware's onError): a reused key 422, a request still in progress 409, a malformed key a field error on the
// header, no identifiable caller 401.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrKeyReused):
		err = problem.New(problem.IdempotencyKeyReused)
	case errors.Is(err, ErrInProgress):
		err = problem.New(problem.RequestInProgress)
	case errors.Is(err, ErrInvalidKey):
		err = problem.Invalid(problem.Field(HeaderKey, "invalid"))
	case errors.Is(err, ErrNoPrincipal):
		err = problem.New(problem.Unauthorized)
	default:
		err = &problem.Error{Type: problem.Internal, Cause: err}
	}
	problem.Write(w, r, err)
}
