package identity

import (
	"strings"
	"testing"
)

// staffNames lists the display names of a staff answer, in order.
func staffNames(t *testing.T, a answer) []string {
	t.Helper()
	items, ok := a.body["items"].([]any)
	if !ok {
		t.Fatalf("no items: %d %s", a.status, a.raw)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.(map[string]any)["display_name"].(string))
	}
	return out
}

// TestStaffDirectory checks who may read the directory, what it holds (no username, no e-mail), its order, the
// role filter, paging and the refusal of bad parameters.
func TestStaffDirectory(t *testing.T) {
	e := newEnv(t, nil)
	tokens := map[string]string{}
	for _, u := range []string{"assistant", "chef", "admin", "membre", "secretaire", "president", "comptable", "directeur"} {
		tokens[u], _, _ = e.mustLogin("demo", u, DemoPassword)
	}
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")

	t.Run("roles", func(t *testing.T) {
		for _, c := range []struct {
			token string
			want  int
		}{
			{tokens["assistant"], 200}, {tokens["chef"], 200}, {tokens["admin"], 200},
			{tokens["membre"], 403}, {tokens["secretaire"], 200}, {tokens["president"], 200},
			{tokens["comptable"], 403}, {tokens["directeur"], 403}, {root, 403}, {"", 401},
		} {
			if a := e.do("GET", "/v1/staff", c.token, nil); a.status != c.want {
				t.Errorf("token %.12s: %d, want %d: %s", c.token, a.status, c.want, a.raw)
			}
		}
	})

	t.Run("content and order", func(t *testing.T) {
		a := e.do("GET", "/v1/staff?page_size=100", tokens["chef"], nil)
		names := staffNames(t, a)
		if n := len(demoUsers); int(a.body["total"].(float64)) != n || len(names) != n {
			t.Fatalf("want the %d demo users: %s", n, a.raw)
		}
		for i := 1; i < len(names); i++ {
			if names[i-1] > names[i] {
				t.Errorf("not sorted by display name: %v", names)
			}
		}
		for _, secret := range []string{"@demo.entraide.invalid", "email", "username", `"assistant"`, "password", `"version"`, `"tenant"`} {
			if strings.Contains(a.raw, secret) {
				t.Errorf("the directory shows %q: %s", secret, a.raw)
			}
		}
		for _, it := range a.body["items"].([]any) {
			m := it.(map[string]any)
			if len(m) != 4 || m["id"] == "" || m["roles"] == nil || m["disabled"] != false {
				t.Errorf("member %v: want exactly id, display_name, roles, disabled", m)
			}
		}
	})

	t.Run("role filter and paging", func(t *testing.T) {
		workers := staffNames(t, e.do("GET", "/v1/staff?role=social_worker", tokens["chef"], nil))
		if strings.Join(workers, ",") != "Amélie Assistante,Bart Vermeulen,Fatima El Amrani" {
			t.Errorf("social workers: %v", workers)
		}
		p1 := e.do("GET", "/v1/staff?role=social_worker&page=1&page_size=2", tokens["assistant"], nil)
		p2 := e.do("GET", "/v1/staff?role=social_worker&page=2&page_size=2", tokens["assistant"], nil)
		if got := append(staffNames(t, p1), staffNames(t, p2)...); strings.Join(got, ",") != strings.Join(workers, ",") ||
			p1.body["total"].(float64) != 3 || p2.body["page"].(float64) != 2 {
			t.Errorf("pages: %s / %s", p1.raw, p2.raw)
		}
		if heads := staffNames(t, e.do("GET", "/v1/staff?role=social_service_head", tokens["chef"], nil)); len(heads) != 1 || heads[0] != "Charles Chef de service" {
			t.Errorf("heads: %v", heads)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for q, field := range map[string]string{"?role=wizard": "role", "?role=platform_admin": "role", "?page=0": "page", "?page_size=101": "page_size", "?page_size=x": "page_size"} {
			a := e.do("GET", "/v1/staff"+q, tokens["chef"], nil)
			if a.status != 422 || a.fields()[field] == "" {
				t.Errorf("%s: %d %s", q, a.status, a.raw)
			}
		}
	})

	t.Run("disabled members stay listed, marked", func(t *testing.T) {
		all := e.do("GET", "/v1/staff?role=committee_member", tokens["chef"], nil)
		id := all.body["items"].([]any)[0].(map[string]any)["id"].(string)
		if a := e.do("POST", "/v1/users/"+id+"/disable", tokens["admin"], nil); a.status != 200 {
			t.Fatalf("disable: %d %s", a.status, a.raw)
		}
		m := e.do("GET", "/v1/staff?role=committee_member", tokens["chef"], nil).body["items"].([]any)[0].(map[string]any)
		if m["id"] != id || m["disabled"] != true {
			t.Errorf("disabled member: %v", m)
		}
	})
}

// TestStaffDirectoryTenantIsolation: a tenant's directory never lists another tenant's users.
func TestStaffDirectoryTenantIsolation(t *testing.T) {
	e := newEnv(t, nil)
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")
	liegeAdmin := e.createTenant(root, "liege", "0212.345.668")
	a := e.do("POST", "/v1/users", liegeAdmin, map[string]any{"username": "jan", "display_name": "Jan Liégeois", "email": "jan@liege.example",
		"roles": []string{"social_worker"}, "language": "fr", "password": newPassword})
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	jan, _, _ := e.mustLogin("liege", "jan", newPassword)
	got := staffNames(t, e.do("GET", "/v1/staff", jan, nil))
	if strings.Join(got, ",") != "Boss,Jan Liégeois" {
		t.Errorf("liege's directory: %v", got)
	}
	demoWorker, _, _ := e.mustLogin("demo", "assistant", DemoPassword)
	demo := e.do("GET", "/v1/staff?page_size=100", demoWorker, nil)
	if strings.Contains(demo.raw, "Liégeois") || strings.Contains(demo.raw, "Boss") || int(demo.body["total"].(float64)) != len(demoUsers) {
		t.Errorf("demo's directory lists another tenant: %s", demo.raw)
	}
}
