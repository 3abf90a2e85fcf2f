package identity

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var cheapArgon = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestParseKBO(t *testing.T) {
	for in, want := range map[string]string{
		"0207.123.407":  "0207.123.407",
		"0207 123 407":  "0207.123.407",
		"BE0207123407":  "0207.123.407",
		"be 0207123407": "0207.123.407",
		"207123407":     "0207.123.407",
		"0207.123.456":  "", // wrong check digits
		"2207.123.407":  "", // must start with 0 or 1
		"0207.123.40":   "",
		"0207.123.40x":  "",
		"":              "",
	} {
		got, ok := ParseKBO(in)
		if string(got) != want || ok != (want != "") {
			t.Errorf("ParseKBO(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestArgon2idHashVerify(t *testing.T) {
	h1, err := HashPassword("correct horse battery", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("correct horse battery", DefaultArgon2)
	if h1 == h2 {
		t.Fatal("same hash twice: salt not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h1)
	}
	if !VerifyPassword(h1, "correct horse battery") || !VerifyPassword(h2, "correct horse battery") {
		t.Fatal("right password refused")
	}
	if VerifyPassword(h1, "correct horse batterz") || VerifyPassword(h1, "") {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", strings.Replace(h1, "v=19", "v=16", 1)} {
		if VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	if NeedsRehash(h1, DefaultArgon2) || !NeedsRehash(h1, cheapArgon) {
		t.Fatal("NeedsRehash")
	}
}

func TestRefreshTokenAndFamily(t *testing.T) {
	tok, hash, err := NewRefreshToken("0b5f7c1e-2d7a-4f9e-9a37-1c2d3e4f5a6b")
	if err != nil {
		t.Fatal(err)
	}
	if fid, ok := ParseRefreshToken(tok); !ok || fid != "0b5f7c1e-2d7a-4f9e-9a37-1c2d3e4f5a6b" {
		t.Fatalf("parse %q", tok)
	}
	if HashRefreshToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatal("hash")
	}
	for _, bad := range []string{"", "ert1.x.y", tok + "x", strings.Replace(tok, "ert1", "ert2", 1)} {
		if _, ok := ParseRefreshToken(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	now := time.Now()
	f := &Family{Current: "c", Spent: []string{"a", "b"}, ExpiresAt: now.Add(time.Hour)}
	for hash, want := range map[string]RefreshVerdict{"c": RefreshValid, "a": RefreshReused, "b": RefreshReused, "z": RefreshUnknown} {
		if got := f.Judge(hash, now); got != want {
			t.Errorf("Judge(%s) = %v", hash, got)
		}
	}
	if f.Judge("c", now.Add(time.Hour)) != RefreshEnded {
		t.Error("expired family still valid")
	}
	f.Revoked = true
	if f.Judge("c", now) != RefreshEnded {
		t.Error("revoked family still valid")
	}
}

func TestUserRules(t *testing.T) {
	roles, err := ValidateUserInput(UserInput{Username: "Amelie", DisplayName: "Amélie", Roles: []string{"social_worker"}, Language: "fr", Password: "long enough pw"}, "", false)
	if err != nil || len(roles) != 1 {
		t.Fatal(err)
	}
	if _, err := ValidateUserInput(UserInput{Username: "x", Roles: []string{"platform_admin", "dpo", "dpo"}, Language: "xx", Password: "short", Email: "nope"}, "", false); err == nil {
		t.Fatal("bad input accepted")
	} else {
		for _, want := range []string{"username", "display_name", "roles[0]", "roles[2]", "language", "password", "email"} {
			if !strings.Contains(err.Error(), "; "+want+":") {
				t.Errorf("no field error for %s in %v", want, err)
			}
		}
	}
	u := NewUser("u1", "demo", UserInput{Username: "admin", DisplayName: "A"}, []Role{RoleTenantAdmin}, "h", time.Now())
	if err := u.SetRoles("u1", []string{"dpo"}, time.Now()); err == nil {
		t.Error("admin removed tenant_admin from themselves")
	}
	if err := u.Disable("u1", time.Now()); err == nil {
		t.Error("admin disabled themselves")
	}
	if err := u.SetRoles("u2", []string{"dpo"}, time.Now()); err != nil || u.Roles()[0] != RoleDPO {
		t.Errorf("role change refused: %v", err)
	}
	if got := FoldForSearch("Amélie DUPONT-Lefèvre <a.dupont@cpas.be>"); got != "amelie dupont lefevre a dupont cpas be" {
		t.Errorf("fold %q", got)
	}
}

func TestClientAddrAndAddressKey(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "203.0.113.7:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := ClientAddr(r, trusted); got != "203.0.113.7" {
		t.Errorf("untrusted peer's XFF believed: %s", got)
	}
	r.RemoteAddr = "10.1.1.1:5555"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.9, 10.2.2.2")
	if got := ClientAddr(r, trusted); got != "198.51.100.9" {
		t.Errorf("trusted proxy chain: %s", got)
	}
	if AddressKey("2001:db8::1") != AddressKey("2001:db8::ffff") || AddressKey("2001:db8::1") == AddressKey("2001:db8:0:1::1") {
		t.Error("IPv6 not keyed per /64")
	}
	if AddressKey("") != "" || AddressKey("1.2.3.4") == AddressKey("1.2.3.5") {
		t.Error("address keys")
	}
}

func TestSigningKeysPersistAndRotate(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadSigningKeys(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadSigningKeys(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.JWKS().Keys[0].Kid != k2.JWKS().Keys[0].Kid {
		t.Fatal("generated key not reused after restart")
	}
	// Rotation: a new key file first, the old one second: the new signs, both are published.
	dir2 := t.TempDir()
	if _, err := LoadSigningKeys(nil, dir2); err != nil {
		t.Fatal(err)
	}
	rot, err := LoadSigningKeys([]string{dir2 + "/" + generatedKeyFile, dir + "/" + generatedKeyFile}, "")
	if err != nil {
		t.Fatal(err)
	}
	set := rot.JWKS()
	if len(set.Keys) != 2 || set.Keys[1].Kid != k1.JWKS().Keys[0].Kid {
		t.Fatalf("rotation set %+v", set)
	}
	if _, err := LoadSigningKeys([]string{dir + "/missing.pem"}, ""); err == nil {
		t.Fatal("missing key file accepted")
	}
	if _, err := NewTokenIssuer(rot, "iss", 16*time.Minute); err == nil {
		t.Fatal("access TTL above 15 min accepted")
	}
}
