package person

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/entraide/entraide/libs/civil"
)

// foldExtra maps the letters that canonical decomposition does not split into a base letter and a mark.
var foldExtra = map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i"}

// Normalize folds a name for search and duplicate detection: lower case, accents removed (Müller → muller,
// Lefèvre → lefevre), every run of characters other than letters and digits (hyphens, apostrophes, spaces)
// becomes one space: "Dupont-Lefèvre" → "dupont lefevre", "D'Hondt" → "d hondt".
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if f, ok := foldExtra[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		default:
			space = true
		}
	}
	return b.String()
}

// SearchKeys are the strings a name-prefix search matches at their start: "family given", "given family", and
// each later part of a compound family name followed by the given names ("lefevre marie" for
// Dupont-Lefèvre Marie), so that typing any of them finds the person.
func SearchKeys(family, given string) []string {
	f, g := Normalize(family), Normalize(given)
	keys := []string{}
	add := func(k string) {
		k = strings.TrimSpace(k)
		if k != "" && !oneOf(k, keys) {
			keys = append(keys, k)
		}
	}
	add(f + " " + g)
	add(g + " " + f)
	parts := strings.Fields(f)
	for i := 1; i < len(parts); i++ {
		add(strings.Join(parts[i:], " ") + " " + g)
	}
	return keys
}

// DuplicateKey is what two registrations of the same person without a NISS most likely share: the folded names
// (in any order of the given names) and the birth date.
func DuplicateKey(family, given string, birth civil.Date) string {
	return Normalize(family) + "|" + Normalize(given) + "|" + birth.String()
}
