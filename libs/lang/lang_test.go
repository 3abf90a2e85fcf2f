package lang

import (
	"net/http/httptest"
	"testing"
)

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "fr",
		"nl-BE,nl;q=0.9,en;q=0.8": "nl",
		"de-BE":                   "de",
		"en-GB,en;q=0.9":          "en",
		"fr-BE":                   "fr",
		"ja":                      "fr",
		"ja, nl;q=0.5":            "nl",
		"garbage;;q=?":            "fr",
	} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestCookieWinsWhenValid(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "nl")
	r.Header.Set("Cookie", "lang=en")
	if got := FromRequest(r); got != "en" {
		t.Errorf("got %q", got)
	}
	r.Header.Set("Cookie", "lang=xx")
	if got := FromRequest(r); got != "nl" {
		t.Errorf("invalid cookie: got %q", got)
	}
}
