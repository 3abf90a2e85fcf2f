package problem

import (
	"fmt"
	"strings"
	"sync"

	"github.com/entraide/entraide/libs/lang"
)

var (
	catalogMu sync.RWMutex
	catalog   = map[string]map[string]string{}
)

// RegisterMessages adds message texts for a code in several languages. Placeholders are written {name}.
// Services register their own codes at init (e.g. "invalid_niss").
func RegisterMessages(code string, texts map[string]string) {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	catalog[code] = texts
}

// Message returns the text of code in language l with params filled in; an unknown code is returned as is.
func Message(l, code string, params map[string]any) string {
	catalogMu.RLock()
	texts, ok := catalog[code]
	catalogMu.RUnlock()
	if !ok {
		return code
	}
	s, ok := texts[l]
	if !ok {
		if s, ok = texts[lang.Default]; !ok {
			s = texts["en"]
		}
	}
	for k, v := range params {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

func init() {
	for code, texts := range map[string]map[string]string{
		"required":         {"fr": "Ce champ est obligatoire.", "nl": "Dit veld is verplicht.", "de": "Dieses Feld ist erforderlich.", "en": "This field is required."},
		"invalid":          {"fr": "Valeur invalide.", "nl": "Ongeldige waarde.", "de": "Ungültiger Wert.", "en": "Invalid value."},
		"too_long":         {"fr": "Au maximum {max} caractères.", "nl": "Maximaal {max} tekens.", "de": "Höchstens {max} Zeichen.", "en": "At most {max} characters."},
		"too_short":        {"fr": "Au moins {min} caractères.", "nl": "Minstens {min} tekens.", "de": "Mindestens {min} Zeichen.", "en": "At least {min} characters."},
		"out_of_range":     {"fr": "Valeur hors des limites ({min} à {max}).", "nl": "Waarde buiten de grenzen ({min} tot {max}).", "de": "Wert außerhalb des Bereichs ({min} bis {max}).", "en": "Value out of range ({min} to {max})."},
		"invalid_choice":   {"fr": "Choix non autorisé.", "nl": "Keuze niet toegestaan.", "de": "Auswahl nicht zulässig.", "en": "Choice not allowed."},
		"invalid_email":    {"fr": "Adresse e-mail invalide.", "nl": "Ongeldig e-mailadres.", "de": "Ungültige E-Mail-Adresse.", "en": "Invalid e-mail address."},
		"invalid_date":     {"fr": "Date invalide (AAAA-MM-JJ).", "nl": "Ongeldige datum (JJJJ-MM-DD).", "de": "Ungültiges Datum (JJJJ-MM-TT).", "en": "Invalid date (YYYY-MM-DD)."},
		"duplicate":        {"fr": "Cette valeur existe déjà.", "nl": "Deze waarde bestaat al.", "de": "Dieser Wert existiert bereits.", "en": "This value already exists."},
		"unknown_field":    {"fr": "Champ inconnu.", "nl": "Onbekend veld.", "de": "Unbekanntes Feld.", "en": "Unknown field."},
		"invalid_json":     {"fr": "Le contenu n'est pas un JSON valide.", "nl": "De inhoud is geen geldige JSON.", "de": "Der Inhalt ist kein gültiges JSON.", "en": "The body is not valid JSON."},
		"wrong_type":       {"fr": "Type de valeur incorrect.", "nl": "Verkeerd type waarde.", "de": "Falscher Werttyp.", "en": "Wrong value type."},
		"body_too_large":   {"fr": "Le contenu dépasse {max} octets.", "nl": "De inhoud overschrijdt {max} bytes.", "de": "Der Inhalt überschreitet {max} Bytes.", "en": "The body exceeds {max} bytes."},
		"json_required":    {"fr": "Le contenu doit être du JSON (application/json).", "nl": "De inhoud moet JSON zijn (application/json).", "de": "Der Inhalt muss JSON sein (application/json).", "en": "The body must be JSON (application/json)."},
		"invalid_if_match": {"fr": "En-tête If-Match invalide.", "nl": "Ongeldige If-Match-header.", "de": "Ungültiger If-Match-Header.", "en": "Invalid If-Match header."},
	} {
		RegisterMessages(code, texts)
	}
}
