package web

import "github.com/entraide/entraide/libs/ogm"

// ogmText shows a structured communication as people write it (+++123/4567/89002+++); anything that is not one
// is shown as it is.
func ogmText(s string) string {
	if v, err := ogm.Parse(s); err == nil {
		return v.Format()
	}
	return s
}

// OGMText shows a structured communication as people write it, for the templates.
func (v *view) OGMText(s string) string { return ogmText(s) }
