package authn

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerify measures what every API request pays to authenticate: parsing and verifying an EdDSA access
// token with the strict options. Run: go test ./authn -run '^$' -bench Verify -benchmem
func BenchmarkVerify(b *testing.B) {
	pub, priv := newKey(&testing.T{})
	v := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience)
	token := sign(&testing.T{}, priv, KeyID(pub), goodClaims(time.Now()))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
