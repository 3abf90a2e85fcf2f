package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// The RIS amounts table (tenant admin): the legal yearly amounts by category and validity date, and the
// socio-professional exemption amounts, as the decisions service computes with them. An indexation is entered as
// a new validity row (a date and the three yearly amounts, and the exemption's monthly amount when it changes);
// saved with If-Match on the version shown.

var risAmountFields = []formField{
	{"valid_from", "ris_amounts.valid_from"}, {"cat1", "ris_amounts.cat1"}, {"cat2", "ris_amounts.cat2"},
	{"cat3", "ris_amounts.cat3"}, {"exemption", "ris_amounts.exemption"},
}

// risAmountsData is the page data of ris_amounts.html.
type risAmountsData struct {
	Table RISAmounts
}

func (s *Server) risAmountsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRISAmounts(w, r, sess, http.StatusOK, newForm(risAmountFields, nil))
}

func (s *Server) renderRISAmounts(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	t, err := s.decisions.RISAmounts(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: risAmountsData{Table: t}}
	v.Title = v.T("ris_amounts.title")
	s.render(w, r, status, "ris_amounts", v)
}

// saveRISAmounts adds the typed validity row to the table read at the version the form carries.
func (s *Server) saveRISAmounts(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := url.Values{}
	for _, fd := range risAmountFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(risAmountFields, values)
	from, err := civil.Parse(values.Get("valid_from"))
	if values.Get("valid_from") == "" {
		f.Fail("valid_from", translate(l, "ris_amounts.required"))
	} else if err != nil {
		f.Fail("valid_from", translate(l, "ris_amounts.date_invalid"))
	}
	var yearly [3]int64
	for i, n := range []string{"cat1", "cat2", "cat3"} {
		c, ok := parseEuroCents(values.Get(n))
		if !ok || c <= 0 {
			f.Fail(n, translate(l, "ris_amounts.amount_invalid"))
		}
		yearly[i] = c
	}
	exemption, ok := parseEuroCents(values.Get("exemption"))
	if !ok || exemption < 0 {
		f.Fail("exemption", translate(l, "ris_amounts.amount_invalid"))
	}
	version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if f.HasErrors() || verr != nil {
		s.renderRISAmounts(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	cur, err := s.decisions.RISAmounts(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if cur.Version != version {
		f.General = append(f.General, translate(l, "ris_amounts.conflict"))
		s.renderRISAmounts(w, r, sess, http.StatusConflict, f)
		return
	}
	first := len(cur.Amounts)
	for i, y := range yearly {
		cur.Amounts = append(cur.Amounts, RISAmountRow{Category: i + 1, ValidFrom: from.String(), Yearly: y})
	}
	if exemption > 0 {
		cur.Exemptions = append(cur.Exemptions, RISExemptionRow{ValidFrom: from.String(), Monthly: exemption})
	}
	_, err = s.decisions.PutRISAmounts(r.Context(), s.call(r, sess), version, cur)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.ris_amounts_saved")
		http.Redirect(w, r, "/ris-amounts", http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		rename := map[string]string{}
		for i := range 3 {
			rename["amounts_"+strconv.Itoa(first+i)+"_valid_from"] = "valid_from"
			rename["amounts_"+strconv.Itoa(first+i)+"_yearly"] = "cat" + strconv.Itoa(i+1)
		}
		rename["exemptions_"+strconv.Itoa(len(cur.Exemptions)-1)+"_valid_from"] = "valid_from"
		rename["exemptions_"+strconv.Itoa(len(cur.Exemptions)-1)+"_monthly"] = "exemption"
		applyFieldErrors(f, ae, rename)
		s.renderRISAmounts(w, r, sess, ae.Status, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusConflict):
		f.General = append(f.General, translate(l, "ris_amounts.conflict"))
		s.renderRISAmounts(w, r, sess, http.StatusConflict, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
