package committee

import (
	"slices"
	"testing"
)

func TestVisibility(t *testing.T) {
	member := Viewer{Tenant: "t1", UserID: "m1", Roles: []string{TokenCommitteeMember}}
	president := Viewer{Tenant: "t1", UserID: "p", Roles: []string{TokenPresident}}
	outsider := Viewer{Tenant: "t1", UserID: "m9", Roles: []string{TokenCommitteeMember}}
	secretary := Viewer{Tenant: "t1", UserID: "other-sec", Roles: []string{TokenCommitteeSecretary}}
	otherTenantSecretary := Viewer{Tenant: "t2", UserID: "sec", Roles: []string{TokenCommitteeSecretary}}
	otherTenantMember := Viewer{Tenant: "t2", UserID: "m1", Roles: []string{TokenCommitteeMember}}
	worker := Viewer{Tenant: "t1", UserID: "m1", Roles: []string{"social_worker", "social_service_head"}}
	noUser := Viewer{Tenant: "t1", Roles: []string{TokenCommitteeSecretary}}
	tests := []struct {
		viewer string
		v      Viewer
		sees   map[Status]bool
	}{
		{"member convened", member, map[Status]bool{Convened: true, Opened: true, Closed: true}},
		{"president", president, map[Status]bool{Convened: true, Opened: true, Closed: true}},
		{"member not convened", outsider, nil},
		{"secretary (any session of the tenant)", secretary, map[Status]bool{Planned: true, Convened: true, Opened: true, Closed: true, MinutesApproved: true}},
		{"secretary of another tenant", otherTenantSecretary, nil},
		{"member of another tenant", otherTenantMember, nil},
		{"social worker and head", worker, nil},
		{"no user", noUser, nil},
	}
	for _, tt := range tests {
		for _, st := range []Status{Planned, Convened, Opened, Closed, MinutesApproved} {
			t.Run(tt.viewer+"/"+string(st), func(t *testing.T) {
				s := inStatus(t, st)
				if got := CanSeeItems(tt.v, s); got != tt.sees[st] {
					t.Fatalf("sees %v, want %v", got, tt.sees[st])
				}
			})
		}
	}
	f, ok := VisibleItems(member)
	if !ok || f.AllSessions || f.MemberID != "m1" || f.Tenant != "t1" || !slices.Equal(f.Statuses, MemberWindow()) {
		t.Fatalf("filter %+v", f)
	}
	f.Statuses[0] = Planned // the filter is a copy
	if MemberWindow()[0] != Convened {
		t.Fatal("MemberWindow changed through a filter")
	}
	if _, ok := VisibleItems(worker); ok {
		t.Fatal("a social worker gets a filter")
	}
}
