package subsidy

import "testing"

// TestShareTable: every band, with and without a PIIS, the 100% cases (foreigners' register, homeless person's
// first residence, which win over the band and the PIIS), a kind the subsidy does not cover, a declining rate between two bands, a rate out of the bands.
func TestShareTable(t *testing.T) {
	r := DefaultRules
	for _, c := range []struct {
		band   int
		b      Basis
		want   int
		reason string
	}{
		{55, Basis{Kind: "ris"}, 55, ReasonBase},
		{65, Basis{Kind: "ris"}, 65, ReasonBase},
		{70, Basis{Kind: "ris"}, 70, ReasonBase},
		{55, Basis{Kind: "ris", PIIS: true}, 65, ReasonPIIS},
		{65, Basis{Kind: "ris", PIIS: true}, 75, ReasonPIIS},
		{70, Basis{Kind: "ris", PIIS: true}, 80, ReasonPIIS},
		{55, Basis{Kind: "ris", ForeignersRegister: true}, 100, ReasonForeignersRegister},
		{70, Basis{Kind: "ris", ForeignersRegister: true, PIIS: true}, 100, ReasonForeignersRegister},
		{55, Basis{Kind: "ris", HomelessFirstResidence: true}, 100, ReasonHomelessFirstResidence},
		{65, Basis{Kind: "ris", HomelessFirstResidence: true, PIIS: true}, 100, ReasonHomelessFirstResidence},
		{55, Basis{Kind: "aide_sociale", PIIS: true}, 0, ReasonNotSubsidised},
		{55, Basis{Kind: "amu", ForeignersRegister: true}, 0, ReasonNotSubsidised},
		{0, Basis{Kind: "ris"}, 55, ReasonBase},
		{50, Basis{Kind: "ris", PIIS: true}, 65, ReasonPIIS},
		{64, Basis{Kind: "ris"}, 64, ReasonBase}, // a declining rate (band.go)
		{69, Basis{Kind: "ris", PIIS: true}, 79, ReasonPIIS},
	} {
		got, reason := r.Share(c.band, c.b)
		if got != c.want || reason != c.reason {
			t.Errorf("band %d %+v: %d %s, want %d %s", c.band, c.b, got, reason, c.want, c.reason)
		}
	}
}

func TestOf(t *testing.T) {
	for _, c := range []struct {
		cents int64
		share int
		want  int64
	}{{131420, 55, 72281}, {131420, 65, 85423}, {100001, 55, 55001}, {3, 50, 2}, {-3, 50, -2}, {89000, 100, 89000}, {89000, 0, 0}} {
		if got := Of(c.cents, c.share); got != c.want {
			t.Errorf("Of(%d, %d) = %d, want %d", c.cents, c.share, got, c.want)
		}
	}
}
