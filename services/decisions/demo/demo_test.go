package demo_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/demo"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/proposal"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/session"
	"github.com/entraide/entraide/services/decisions/urgent"
)

func person(name string) demo.Person { return demo.Person{UserID: uuid.NewString(), Name: name} }

// TestSeedMakesEveryStageOnce seeds a projection of fourteen open files (two more than the seed needs, one of
// them closed) and checks the register holds a request at every stage, the past session closed with its minutes
// approved and decisions adopted, notified and appealed, the next session convened with its agenda, the urgent
// decision awaiting ratification; a second seed changes nothing.
func TestSeedMakesEveryStageOnce(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	cfg := decisions.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	staff := demo.Staff{Head: person("Charles Chef"), Workers: []demo.Person{person("Amélie Assistante"), person("Bart Vermeulen")},
		President: person("Paul Président"), Secretary: person("Sébastien Secrétaire"),
		Members: []demo.Person{person("Marie Membre"), person("Jan Janssens"), person("Nadia Lambert")}}
	proj := projection.NewRepository(db)
	if err := projection.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	feed := func(typ, subject string, data any) {
		ev, err := events.New(typ, "entraide-beneficiaries", demo.Tenant, subject, uuid.NewString(), data)
		if err != nil {
			t.Fatal(err)
		}
		if err := proj.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 14 {
		p, f := uuid.NewString(), uuid.NewString()
		lang := []string{"fr", "nl"}[i%2]
		feed(projection.TypePersonRegistered, p, map[string]any{"person_id": p, "family_name": fmt.Sprintf("Démo%02d", i),
			"given_names": "Alex", "language": lang, "address": map[string]any{"street": "Rue Haute", "number": fmt.Sprint(i + 1),
				"postcode": 1000, "municipality": "Bruxelles"}})
		feed(projection.TypeFileOpened, f, map[string]any{"file_id": f, "number": fmt.Sprintf("2026/%06d", i+1), "person_id": p,
			"assignee": staff.Workers[i%2].UserID, "opened_on": "2026-01-05", "origin": "manual"})
		if i == 0 {
			feed(projection.TypeFileClosed, f, map[string]any{"file_id": f, "reason": "moved_away", "closed_on": civil.Today().String()})
		}
	}
	if n, err := demo.ProjectedFiles(ctx, db, demo.Tenant); err != nil || n != 14 {
		t.Fatalf("projected files %d %v", n, err)
	}

	res, err := demo.Seed(ctx, cfg, db, staff)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Seeded || res.Requests != 12 || res.Sessions != 2 || res.Decisions != 4 {
		t.Fatalf("result %+v", res)
	}

	statuses := map[request.Status]int{}
	cur, err := db.Collection(request.CollRequests).Find(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []struct {
		Status     request.Status `bson:"status"`
		ReceivedOn civil.Date     `bson:"received_on"`
		Number     string         `bson:"number"`
		FileID     string         `bson:"file_id"`
	}
	if err := cur.All(ctx, &reqs); err != nil {
		t.Fatal(err)
	}
	today := civil.Today()
	late := 0
	for _, q := range reqs {
		statuses[q.Status]++
		if q.Status.Open() && q.ReceivedOn.AddDays(30).Before(today) {
			late++
		}
	}
	want := map[request.Status]int{request.Registered: 2, request.InInquiry: 4, request.Proposed: 2, request.Decided: 2, request.Notified: 2}
	for st, n := range want {
		if statuses[st] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", st, statuses[st], n, statuses)
		}
	}
	if late != 1 {
		t.Errorf("%d late requests, want 1", late)
	}

	var sessions []session.Doc
	cur, err = db.Collection(session.CollSessions).Find(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &sessions); err != nil {
		t.Fatal(err)
	}
	byStatus := map[committee.Status]session.Doc{}
	for _, s := range sessions {
		byStatus[s.Session.Status] = s
	}
	past, next := byStatus[committee.MinutesApproved], byStatus[committee.Convened]
	if len(sessions) != 2 || len(past.Session.Items) != 4 || len(next.Session.Items) != 2 || len(past.PendingOutcomes) != 0 {
		t.Fatalf("sessions: %d, past %d items, next %d items", len(sessions), len(past.Session.Items), len(next.Session.Items))
	}
	outcomes := map[committee.Outcome]int{}
	for _, it := range past.Session.Items {
		outcomes[it.Outcome]++
		if it.Vote == nil || it.Vote.For == 0 {
			t.Errorf("item %d without its vote", it.Number)
		}
	}
	if outcomes[committee.Approved] != 3 || outcomes[committee.Rejected] != 1 || !past.Session.Date.Before(today) || !next.Session.Date.After(today) {
		t.Errorf("past session %v on %s, next on %s", outcomes, past.Session.Date, next.Session.Date)
	}

	var decs []decision.Decision
	cur, err = db.Collection(decision.CollDecisions).Find(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &decs); err != nil {
		t.Fatal(err)
	}
	notified, appealed, awaiting, changesNotified := 0, 0, 0, 0
	for _, d := range decs {
		if d.Notification != nil {
			notified++
		}
		changesNotified += len(d.ChangeNotices)
		appealed += len(d.Appeals)
		if d.Ratification == string(committee.AwaitingRatification) {
			awaiting++
		}
	}
	if len(decs) != 4 || notified != 2 || appealed != 1 || awaiting != 1 || changesNotified != 1 {
		t.Errorf("decisions %d, notified %d, appealed %d, awaiting ratification %d", len(decs), notified, appealed, awaiting)
	}
	if n, _ := db.Collection(urgent.CollUrgent).CountDocuments(ctx, bson.D{{Key: "ratification", Value: committee.AwaitingRatification}}); n != 1 {
		t.Errorf("urgent decisions awaiting ratification: %d", n)
	}
	if n, _ := db.Collection(proposal.CollProposals).CountDocuments(ctx, bson.D{{Key: "status", Value: proposal.Submitted}}); n != 1 {
		t.Errorf("proposals awaiting the head: %d", n)
	}
	// Every write left its events in an outbox for the running service's relay.
	if n, _ := db.Collection(decision.CollDecisions).CountDocuments(ctx, bson.D{{Key: store.OutboxField + ".0", Value: bson.D{{Key: "$exists", Value: true}}}}); n != 4 {
		t.Errorf("decisions with events in the outbox: %d", n)
	}

	// What the demo's users print: the past session's minutes with the members' names and the excused one, and
	// every decision's letter (the demo CPAS's settings have the address and the labour court), the urgent one too
	app, err := decisions.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		t.Fatal(err)
	}
	var pastID string
	var ids []struct {
		ID string `bson:"_id"`
	}
	cur, err = db.Collection(session.CollSessions).Find(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}, {Key: "status", Value: committee.MinutesApproved}})
	if err != nil || cur.All(ctx, &ids) != nil || len(ids) != 1 {
		t.Fatalf("past session: %v %v", ids, err)
	}
	pastID = ids[0].ID
	secretary := kit.Actor{UserID: staff.Secretary.UserID, Tenant: demo.Tenant, Roles: []string{committee.TokenCommitteeSecretary}}
	doc, err := app.Sessions.Minutes(ctx, secretary, pastID, "case_follow_up")
	if err != nil {
		t.Fatal(err)
	}
	var html strings.Builder
	if err := doc.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{staff.President.Name, staff.Members[2].Name, staff.Secretary.Name, "Salle du conseil"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the minutes lack %q", want)
		}
	}
	head := kit.Actor{UserID: staff.Head.UserID, Tenant: demo.Tenant, Roles: []string{kit.RoleHead}, Name: staff.Head.Name}
	// (the urgent decision's texts completed by the worker).
	cur, err = db.Collection(decision.CollDecisions).Find(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}})
	if err != nil || cur.All(ctx, &ids) != nil || len(ids) != 4 {
		t.Fatalf("decisions %v %v", ids, err)
	}
	for _, d := range ids {
		if _, err := app.Decisions.Letter(ctx, head, d.ID, "case_follow_up"); err != nil {
			t.Errorf("letter of decision %s: %v", d.ID, err)
		}
		rec, _ := app.Decisions.Repo.Load(ctx, demo.Tenant, d.ID)
		for _, c := range rec.State.Changes() {
			if _, err := app.Decisions.ChangeLetter(ctx, head, d.ID, c.ID, "case_follow_up"); err != nil {
				t.Errorf("letter of the %s of decision %s: %v", c.Change, d.ID, err)
			}
		}
	}

	again, err := demo.Seed(ctx, cfg, db, staff)
	if err != nil || again.Seeded {
		t.Fatalf("second seed: %+v %v", again, err)
	}
	if n, _ := db.Collection(request.CollRequests).CountDocuments(ctx, bson.D{{Key: "tenant", Value: demo.Tenant}}); n != int64(len(reqs)) {
		t.Errorf("after a second seed: %d requests, before %d", n, len(reqs))
	}
}
