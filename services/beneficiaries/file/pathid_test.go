package file_test

import (
	"testing"

	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

// A path id that is not a UUID names nothing: 404, not a server error (the id is read by servicekit.PathID, whose
// not-found the file routes map like their own).
func TestFileRoutesAnswer404ToAnIDThatIsNoUUID(t *testing.T) {
	e := apitest.New(t, nil)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/files/not-a-uuid"},
		{"POST", "/v1/files/not-a-uuid/closure"},
		{"POST", "/v1/files/not-a-uuid/journal"},
	} {
		if a := e.Call(workerA, c.method, c.path, map[string]any{}, purpose, `If-Match: "1"`); a.Status != 404 {
			t.Errorf("%s %s: %d %s", c.method, c.path, a.Status, a.Raw)
		}
	}
}
