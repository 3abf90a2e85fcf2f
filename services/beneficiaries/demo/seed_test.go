package demo

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

var (
	head    = "head-0001"
	workers = []string{"worker-0001", "worker-0002", "worker-0003"}
)

// snapshot counts the documents of every collection and sums their versions: a second seed must leave both alone.
func snapshot(t *testing.T, db *mongo.Database) map[string][2]int64 {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int64{}
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		var versions int64
		for _, d := range docs {
			if v, ok := d["version"].(int64); ok {
				versions += v
			}
		}
		out[name] = [2]int64{int64(len(docs)), versions}
	}
	return out
}

func TestSeedDemoFillsTheTenantOnceThroughTheServices(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	start := time.Now()
	res, err := SeedDemo(ctx, db, Options{Head: head, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %+v in %s", res, time.Since(start).Round(time.Millisecond))
	if !res.Seeded || res.Persons < 45 || res.Persons > 55 || res.Files < 25 || res.Notes < res.Files || res.Documents < 5 {
		t.Fatalf("seed result %+v", res)
	}
	before := snapshot(t, db)
	again, err := SeedDemo(ctx, db, Options{Head: head, Workers: workers})
	if err != nil || again.Seeded {
		t.Fatalf("second seed: %+v, %v", again, err)
	}
	if after := snapshot(t, db); !mapsEqual(before, after) {
		t.Fatalf("the second seed changed the database:\nbefore %v\nafter  %v", before, after)
	}

	// The persons as stored: valid numbers of every kind, births across the range, both sexes, Belgian IBANs.
	cur, err := db.Collection(person.CollPersons).Find(ctx, bson.D{{Key: "tenant", Value: Tenant}})
	if err != nil {
		t.Fatal(err)
	}
	var persons []struct {
		ID           string `bson:"_id"`
		NISS         string `bson:"niss"`
		BirthDate    string `bson:"birth_date"`
		Sex          string `bson:"sex"`
		BankAccounts []struct {
			IBAN string `bson:"iban"`
		} `bson:"bank_accounts"`
		Household []bson.Raw `bson:"household"`
		Files     []bson.Raw `bson:"files"`
		Outbox    []bson.Raw `bson:"outbox"`
	}
	if err := cur.All(ctx, &persons); err != nil {
		t.Fatal(err)
	}
	if len(persons) != res.Persons {
		t.Fatalf("%d persons stored, %d reported", len(persons), res.Persons)
	}
	var bis, none, ibans, withOutbox int
	sexes := map[string]bool{}
	minYear, maxYear := 9999, 0
	for _, p := range persons {
		birth := p.BirthDate
		year := int(birth[0]-'0')*1000 + int(birth[1]-'0')*100 + int(birth[2]-'0')*10 + int(birth[3]-'0')
		minYear, maxYear = min(minYear, year), max(maxYear, year)
		sexes[p.Sex] = true
		if p.NISS != "" {
			n, err := niss.Parse(p.NISS)
			if err != nil {
				t.Fatalf("invalid NISS stored: %v", err)
			}
			if d, ok := n.BirthDate(); !ok || d.String() != birth {
				t.Errorf("NISS birth date %s, person born %s", d, birth)
			}
			if n.IsBIS() {
				bis++
			}
		} else {
			none++
		}
		for _, a := range p.BankAccounts {
			v, err := iban.Parse(a.IBAN)
			if err != nil || !v.IsBelgian() {
				t.Errorf("bank account %v: %v", a, err)
			}
			ibans++
		}
		if len(p.Outbox) > 0 {
			withOutbox++
		}
	}
	if bis < 2 || none < 2 || ibans < 25 || minYear != 1940 || maxYear != 2024 || !sexes["male"] || !sexes["female"] {
		t.Errorf("bis %d, without NISS %d, IBANs %d, births %d–%d, sexes %v", bis, none, ibans, minYear, maxYear, sexes)
	}
	if withOutbox != len(persons) {
		t.Errorf("%d of %d persons have their events waiting in the outbox", withOutbox, len(persons))
	}

	// Through the services, as the head and the workers see it.
	cfg := beneficiaries.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := beneficiaries.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		t.Fatal(err)
	}
	headP := person.Actor{UserID: head, Tenant: Tenant, Roles: []string{person.RoleHead}}
	headF := file.Actor{UserID: head, Tenant: Tenant, Roles: []string{file.RoleHead}}
	categories := map[int]int{}
	for _, p := range persons {
		cp, err := app.Persons.Service.RISCategory(ctx, headP, p.ID, "", "case_follow_up")
		if err != nil {
			t.Fatal(err)
		}
		categories[cp.Category]++
	}
	for _, c := range []int{person.CategoryCohabitant, person.CategoryIsole, person.CategoryFamilleACharge} {
		if categories[c] == 0 {
			t.Errorf("no household of RIS category %d: %v", c, categories)
		}
	}

	files, err := app.Files.Service.ListFiles(ctx, headF, "case_follow_up", file.FileQuery{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(files.Items) != res.Files {
		t.Fatalf("the head sees %d files, %d were opened", len(files.Items), res.Files)
	}
	status, assignees, teamsUsed := map[file.Status]int{}, map[string]int{}, map[string]bool{}
	var restricted, docs int
	for _, f := range files.Items {
		status[f.Status]++
		assignees[f.Assignee]++
		teamsUsed[f.TeamID] = true
		j, err := app.Files.Service.Journal(ctx, headF, "case_follow_up", f.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range j.Items {
			if n.Confidentiality == file.Restricted {
				restricted++
			}
		}
		l, err := app.Documents.Service.List(ctx, headF, "case_follow_up", f.ID)
		if err != nil {
			t.Fatal(err)
		}
		docs += len(l.Items)
	}
	if status[file.StatusOpen] < 10 || status[file.StatusClosed] < 3 || len(teamsUsed) != 2 || restricted < 2 || docs != res.Documents {
		t.Errorf("files %v, teams %v, restricted notes %d, documents %d", status, teamsUsed, restricted, docs)
	}
	for _, w := range workers {
		if assignees[w] < 5 {
			t.Errorf("worker %s has %d files: %v", w, assignees[w], assignees)
		}
	}

	// Object-level rules hold on the demo data: the second team's worker does not find the first team's person,
	// the first team's workers do; a restricted note stays with its author and the head.
	search := func(user, role, q string) int {
		t.Helper()
		page, err := app.Persons.Service.Search(ctx, person.Actor{UserID: user, Tenant: Tenant, Roles: []string{role}},
			person.SearchInput{Query: q, Purpose: "case_follow_up"})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	for _, c := range []struct {
		user, role, query string
		want              int
	}{
		{head, person.RoleHead, "muller", 1},
		{workers[0], person.RoleSocialWorker, "Müller", 1},
		{workers[1], person.RoleSocialWorker, "MULLER", 1},
		{workers[2], person.RoleSocialWorker, "muller", 0},
		{head, person.RoleHead, "dupont lefevre", 1},
		{head, person.RoleHead, "el idrissi", 5},
	} {
		if got := search(c.user, c.role, c.query); got != c.want {
			t.Errorf("%s searching %q finds %d, want %d", c.user, c.query, got, c.want)
		}
	}
	var sawRestrictedAsOther bool
	for _, f := range files.Items {
		if f.TeamID == "" || f.Assignee == workers[1] {
			continue
		}
		j, err := app.Files.Service.Journal(ctx, file.Actor{UserID: workers[1], Tenant: Tenant, Roles: []string{file.RoleSocialWorker}}, "case_follow_up", f.ID)
		if err != nil {
			continue // another team's file
		}
		for _, n := range j.Items {
			sawRestrictedAsOther = sawRestrictedAsOther || n.Confidentiality == file.Restricted
		}
	}
	if sawRestrictedAsOther {
		t.Error("a team mate reads another worker's restricted note")
	}
}

func TestSeedDemoNeedsTheUsers(t *testing.T) {
	db := testkit.Database(t)
	for name, o := range map[string]Options{
		"no head":      {Workers: workers},
		"no worker":    {Head: head},
		"empty worker": {Head: head, Workers: []string{""}},
	} {
		if _, err := SeedDemo(context.Background(), db, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mapsEqual(a, b map[string][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
