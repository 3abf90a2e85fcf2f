package web

import (
	"embed"
	"net/http"
)

// The style sheet (and any other static file) is embedded: no build step, no Node.
//
//go:embed static
var staticFiles embed.FS

// staticHandler serves /static/{file}. The files hold no data and change only with a new release, so browsers
// may keep them an hour.
func staticHandler() http.Handler {
	files := http.FileServerFS(staticFiles)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
