package sepa

import (
	"strings"
	"unicode/utf8"
)

// latin maps the letters of the Latin-1 Supplement and Latin Extended-A blocks (the ones Belgian, French, Dutch,
// German and other European names use) to the SEPA basic Latin set. Letters without a plain equivalent are spelled
// out the way their languages do (ß → ss, æ → ae, œ → oe, þ → th).
var latin = map[rune]string{
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "A", 'Å': "A", 'Æ': "AE", 'Ç': "C", 'È': "E", 'É': "E",
	'Ê': "E", 'Ë': "E", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I", 'Ð': "D", 'Ñ': "N", 'Ò': "O", 'Ó': "O",
	'Ô': "O", 'Õ': "O", 'Ö': "O", 'Ø': "O", 'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "U", 'Ý': "Y", 'Þ': "TH",
	'ß': "ss", 'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c", 'è': "e",
	'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ð': "d", 'ñ': "n", 'ò': "o",
	'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y",
	'þ': "th", 'ÿ': "y",
	'Ā': "A", 'ā': "a", 'Ă': "A", 'ă': "a", 'Ą': "A", 'ą': "a", 'Ć': "C", 'ć': "c", 'Ĉ': "C", 'ĉ': "c",
	'Ċ': "C", 'ċ': "c", 'Č': "C", 'č': "c", 'Ď': "D", 'ď': "d", 'Đ': "D", 'đ': "d", 'Ē': "E", 'ē': "e",
	'Ĕ': "E", 'ĕ': "e", 'Ė': "E", 'ė': "e", 'Ę': "E", 'ę': "e", 'Ě': "E", 'ě': "e", 'Ĝ': "G", 'ĝ': "g",
	'Ğ': "G", 'ğ': "g", 'Ġ': "G", 'ġ': "g", 'Ģ': "G", 'ģ': "g", 'Ĥ': "H", 'ĥ': "h", 'Ħ': "H", 'ħ': "h",
	'Ĩ': "I", 'ĩ': "i", 'Ī': "I", 'ī': "i", 'Ĭ': "I", 'ĭ': "i", 'Į': "I", 'į': "i", 'İ': "I", 'ı': "i",
	'Ĳ': "IJ", 'ĳ': "ij", 'Ĵ': "J", 'ĵ': "j", 'Ķ': "K", 'ķ': "k", 'ĸ': "k", 'Ĺ': "L", 'ĺ': "l", 'Ļ': "L",
	'ļ': "l", 'Ľ': "L", 'ľ': "l", 'Ŀ': "L", 'ŀ': "l", 'Ł': "L", 'ł': "l", 'Ń': "N", 'ń': "n", 'Ņ': "N",
	'ņ': "n", 'Ň': "N", 'ň': "n", 'ŉ': "n", 'Ŋ': "N", 'ŋ': "n", 'Ō': "O", 'ō': "o", 'Ŏ': "O", 'ŏ': "o",
	'Ő': "O", 'ő': "o", 'Œ': "OE", 'œ': "oe", 'Ŕ': "R", 'ŕ': "r", 'Ŗ': "R", 'ŗ': "r", 'Ř': "R", 'ř': "r",
	'Ś': "S", 'ś': "s", 'Ŝ': "S", 'ŝ': "s", 'Ş': "S", 'ş': "s", 'Š': "S", 'š': "s", 'Ţ': "T", 'ţ': "t",
	'Ť': "T", 'ť': "t", 'Ŧ': "T", 'ŧ': "t", 'Ũ': "U", 'ũ': "u", 'Ū': "U", 'ū': "u", 'Ŭ': "U", 'ŭ': "u",
	'Ů': "U", 'ů': "u", 'Ű': "U", 'ű': "u", 'Ų': "U", 'ų': "u", 'Ŵ': "W", 'ŵ': "w", 'Ŷ': "Y", 'ŷ': "y",
	'Ÿ': "Y", 'Ź': "Z", 'ź': "z", 'Ż': "Z", 'ż': "z", 'Ž': "Z", 'ž': "z", 'ſ': "s",
	'Ș': "S", 'ș': "s", 'Ț': "T", 'ț': "t", // Romanian comma-below letters (Latin Extended-B)
}

// punctuation maps the signs people type that the SEPA set lacks to the nearest allowed one.
var punctuation = map[rune]byte{
	'&': '+', '_': '-', '"': '\'', '`': '\'', '‘': '\'', '’': '\'', '‚': '\'', '“': '\'', '”': '\'',
	'„': '\'', '«': '\'', '»': '\'', '´': '\'', '–': '-', '—': '-', '‐': '-', '‑': '-', ';': ',',
	'!': '.', '[': '(', ']': ')', '{': '(', '}': ')', '<': '(', '>': ')', '\\': '/', '|': '/', '*': '.',
	'#': ' ', '@': ' ', '=': '-', '~': '-', '^': ' ', '%': ' ', '$': ' ', '€': ' ', '°': '.', '§': ' ',
	'\t': ' ', '\n': ' ', '\r': ' ', '\u00a0': ' ',
}

// allowed reports whether c is in the SEPA basic Latin character set: a–z, A–Z, 0–9, / - ? : ( ) . , ' + and space
// (EPC, "SEPA requirements for an extended character set", the set every bank in the scheme must accept).
func allowed(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '/', '-', '?', ':', '(', ')', '.', ',', '\'', '+', ' ':
		return true
	}
	return false
}

// Transliterate rewrites s into the SEPA character set for a bank file: accented letters lose their accents
// (é → e, Ł → L), ligatures and special letters are spelled out (ß → ss, œ → oe), typographic quotes and dashes
// become their plain forms, and any other sign becomes a full stop (one for a run of them, such as a word in
// another script). Runs of spaces collapse into one and the ends are trimmed. Only bank files are transliterated; the database keeps the names as written.
func Transliterate(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) || (s[i] == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true    // at the start, a space is dropped
	unknown := false // the last byte written stands for a character with no equivalent
	put := func(c byte) {
		unknown = false
		if c == ' ' {
			if space {
				return
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	// A run of characters without equivalent (a word in another script) becomes one full stop.
	putUnknown := func() {
		if !unknown {
			put('.')
			unknown = true
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if allowed(c) {
				put(c)
			} else if p, ok := punctuation[rune(c)]; ok {
				put(p)
			} else if c >= 0x20 {
				putUnknown()
			} else {
				put(' ')
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if l, ok := latin[r]; ok {
			for j := 0; j < len(l); j++ {
				put(l[j])
			}
		} else if p, ok := punctuation[r]; ok {
			put(p)
		} else if r >= 0x0300 && r <= 0x036f {
			// A combining accent (text in decomposed form): the letter before it already went out plain.
		} else {
			putUnknown()
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// Text returns s transliterated into the SEPA set and cut to at most max characters (trailing spaces trimmed after
// the cut), the way the implementation guidelines truncate names (70) and unstructured remittance (140). A text
// left without any letter or digit (a name written only in another script) is empty: the Writer then refuses the
// payment rather than send a name of full stops, and the service holds it back with that reason.
func Text(s string, max int) string {
	t := Transliterate(s)
	if len(t) > max {
		t = strings.TrimRight(t[:max], " ")
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return t
		}
	}
	return ""
}
