package demo

import (
	"bytes"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestCamt053: the demo statement of a run is a valid camt.053.001.08 (batch-booked with several payments, on its
// own line with one), returns the last payment (AC04), keeps the bank's fees, and escapes the payees' names.
func TestCamt053(t *testing.T) {
	r := run.Run{Number: "P2026-000001", MsgID: "MSG-1", PmtInfID: "PMT-1"}
	pays := []schedule.View{
		{EndToEndID: "E2E-1", AmountCents: 131420, PayeeName: "Dubois & Fils", PayeeIBAN: "BE68539007547034"},
		{EndToEndID: "E2E-2", AmountCents: 87613, PayeeName: "Jan Peeters", PayeeIBAN: "BE05068123456775"},
	}
	on := civil.MustNew(2026, 3, 2)
	for _, n := range []int{2, 1} {
		doc, err := Camt053(r, pays[:n], on)
		if err != nil {
			t.Fatal(err)
		}
		xsdcheck.Validate(t, "camt.053.001.08", doc)
		for _, want := range []string{"<Cd>AC04</Cd>", "<EndToEndId>E2E-" + string(rune('0'+n)) + "</EndToEndId>", "<Amt Ccy=\"EUR\">7.50</Amt>"} {
			if !bytes.Contains(doc, []byte(want)) {
				t.Errorf("%d payments: no %s", n, want)
			}
		}
		if batch := bytes.Contains(doc, []byte("<Btch>")); batch != (n > 1) {
			t.Errorf("%d payments: batch %v", n, batch)
		}
	}
	doc, _ := Camt053(r, pays, on)
	if !bytes.Contains(doc, []byte("Dubois &amp; Fils")) || !bytes.Contains(doc, []byte("<Amt Ccy=\"EUR\">250000.00</Amt>")) {
		t.Error("names not escaped or opening balance missing")
	}
	// Closing = opening - run - fees + return.
	if !bytes.Contains(doc, []byte(euro(openingCents-131420-87613-feesCents+87613))) {
		t.Error("closing balance")
	}
	if _, err := Camt053(r, nil, on); err == nil {
		t.Error("a run without payment has no statement")
	}
}
