// Package lang negotiates the user's language among those Entraide speaks: French and Dutch (the CPAS's official
// languages), German and English. The order of Supported is the fallback order: French first.
package lang

import (
	"context"
	"net/http"

	"golang.org/x/text/language"
)

// Supported are the language codes the user interface and error messages are written in.
var Supported = []string{"fr", "nl", "de", "en"}

// Default is used when nothing else matches.
const Default = "fr"

var matcher = language.NewMatcher([]language.Tag{language.French, language.Dutch, language.German, language.English})

// Valid tells whether code is one of Supported.
func Valid(code string) bool {
	for _, s := range Supported {
		if s == code {
			return true
		}
	}
	return false
}

// FromAcceptLanguage picks the best supported language for an Accept-Language header.
func FromAcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Supported[idx]
}

// CookieName is the cookie in which the web front end keeps the user's choice.
const CookieName = "lang"

// FromRequest returns the language of a request: the "lang" cookie when valid, else Accept-Language.
func FromRequest(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil && Valid(c.Value) {
		return c.Value
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

type ctxKey struct{}

// WithLang stores the request's language in the context.
func WithLang(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, ctxKey{}, code)
}

// FromContext returns the language stored by WithLang, or Default.
func FromContext(ctx context.Context) string {
	if s, ok := ctx.Value(ctxKey{}).(string); ok && Valid(s) {
		return s
	}
	return Default
}
