package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
)

// testAudit drives audit.Store: every field kept, newest first, each
// filter, paging both ways, IDs unique and growing under concurrent
// inserts.
func testAudit(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	// events are the fixture, in insertion order; times are not in ID
	// order (two replicas' clocks may disagree), so that a filter on At
	// is seen to be one on At.
	events := []audit.Event{
		{At: base, Actor: audit.ApplicationActor("5A2B1C3D-0000-4000-8000-000000000001", "SOAR playbooks"), Family: audit.FamilyApexCentral,
			Action: "POST /webapp/api/agentresource/productagents cmd_isolate_agent", Target: "AGENT-1", Outcome: "ok", Status: 200},
		{At: base.Add(time.Second), Actor: audit.KeyActor(3, "read only"), Family: audit.FamilyWorkload,
			Action: "POST /api/apikeys", Outcome: "refused 403: Not authorized to create API keys", Status: 403},
		{At: base.Add(3 * time.Second), Actor: audit.KeyActor(1, "full"), Family: audit.FamilyNetsec,
			Action: "POST /api/appliancemigrations upgrade", Target: "8", Outcome: "ok", Status: 202},
		{At: base.Add(2 * time.Second), Actor: audit.Anonymous(), Family: audit.FamilyWorkload,
			Action: "POST /api/sessions", Outcome: "refused 401: Invalid username or password", Status: 401},
		{At: base.Add(4 * time.Second), Actor: audit.OperatorActor("root"), Family: audit.FamilyCLI,
			Action: "apps add", Target: "5A2B1C3D-0000-4000-8000-000000000002", Outcome: "ok", Status: 0},
		{At: base.Add(5 * time.Second), Actor: audit.AdministratorActor(1, "administrator"), Family: audit.FamilyConsole,
			Action: "POST /console/administration/api-keys/{id}/delete", Target: "7", Outcome: "failed 500", Status: 500},
	}
	// fill inserts events and returns them with their IDs.
	fill := func(t *testing.T, s Store) []audit.Event {
		t.Helper()
		out := make([]audit.Event, len(events))
		var last int64
		for i, e := range events {
			e.ID = 999 // ignored
			id, err := s.InsertAuditEvent(ctx, e)
			if err != nil {
				t.Fatalf("InsertAuditEvent %d: %v", i, err)
			}
			if id <= last {
				t.Fatalf("InsertAuditEvent %d: ID %d after %d; IDs must grow", i, id, last)
			}
			last = id
			e.ID = id
			out[i] = e
		}
		return out
	}
	newestFirst := func(list []audit.Event) []audit.Event {
		out := slices.Clone(list)
		slices.Reverse(out)
		return out
	}

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		if got, err := s.AuditEvents(ctx, audit.Filter{}); err != nil || len(got) != 0 {
			t.Fatalf("AuditEvents of an empty store = %v, %v; want none", got, err)
		}
		stored := fill(t, s)
		got, err := s.AuditEvents(ctx, audit.Filter{})
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if d := diff(newestFirst(stored), got); d != "" {
			t.Errorf("AuditEvents (-want +got):\n%s", d)
		}
	})

	t.Run("Texts", func(t *testing.T) {
		s := open(t)
		e := audit.Event{At: base, Actor: audit.AdministratorActor(2, "Åsa ünïcødé 管理者"), Family: audit.FamilyConsole,
			Action: "POST /console/x " + strings.Repeat("é", 200), Target: `quote ' double " back \ percent % under _`,
			Outcome: "refused 400: ✓", Status: 400}
		id, err := s.InsertAuditEvent(ctx, e)
		if err != nil {
			t.Fatalf("InsertAuditEvent: %v", err)
		}
		e.ID = id
		got, err := s.AuditEvents(ctx, audit.Filter{})
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if d := diff([]audit.Event{e}, got); d != "" {
			t.Errorf("AuditEvents (-want +got):\n%s", d)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		s := open(t)
		stored := fill(t, s)
		id := func(i int) int64 { return stored[i].ID }
		tests := []struct {
			name string
			f    audit.Filter
			want []int // indexes into events, newest first
		}{
			{"everything", audit.Filter{}, []int{5, 4, 3, 2, 1, 0}},
			{"limit", audit.Filter{Limit: 2}, []int{5, 4}},
			{"limit larger than the events", audit.Filter{Limit: 100}, []int{5, 4, 3, 2, 1, 0}},
			{"since is inclusive", audit.Filter{Since: base.Add(3 * time.Second)}, []int{5, 4, 2}},
			{"until is exclusive", audit.Filter{Until: base.Add(2 * time.Second)}, []int{1, 0}},
			{"since and until", audit.Filter{Since: base.Add(time.Second), Until: base.Add(4 * time.Second)}, []int{3, 2, 1}},
			{"since to the millisecond", audit.Filter{Since: base.Add(time.Millisecond)}, []int{5, 4, 3, 2, 1}},
			{"actor kind", audit.Filter{ActorKind: audit.KindAPIKey}, []int{2, 1}},
			{"actor kind and ID", audit.Filter{ActorKind: audit.KindAPIKey, ActorID: "3"}, []int{1}},
			{"anonymous", audit.Filter{ActorKind: audit.KindAnonymous}, []int{3}},
			{"family", audit.Filter{Family: audit.FamilyWorkload}, []int{3, 1}},
			{"family and kind", audit.Filter{Family: audit.FamilyWorkload, ActorKind: audit.KindAPIKey}, []int{1}},
			{"after ID", audit.Filter{AfterID: id(3)}, []int{5, 4}},
			{"before ID", audit.Filter{BeforeID: id(2)}, []int{1, 0}},
			{"between IDs", audit.Filter{AfterID: id(0), BeforeID: id(4)}, []int{3, 2, 1}},
			{"before ID with limit", audit.Filter{BeforeID: id(4), Limit: 2}, []int{3, 2}},
			{"family with limit", audit.Filter{Family: audit.FamilyWorkload, Limit: 1}, []int{3}},
			{"nothing matches", audit.Filter{Family: audit.FamilyCLI, ActorKind: audit.KindApplication}, nil},
			{"actor ID of another kind", audit.Filter{ActorKind: audit.KindAdministrator, ActorID: "3"}, nil},
			{"after the last", audit.Filter{AfterID: id(5)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.AuditEvents(ctx, tt.f)
				if err != nil {
					t.Fatalf("AuditEvents(%+v): %v", tt.f, err)
				}
				var want []audit.Event
				for _, i := range tt.want {
					want = append(want, stored[i])
				}
				if d := diff(want, got); d != "" {
					t.Errorf("AuditEvents(%+v) (-want +got):\n%s", tt.f, d)
				}
			})
		}
	})

	t.Run("Paging", func(t *testing.T) {
		s := open(t)
		stored := fill(t, s)
		// Backwards from the newest, two at a time, as a listing pages.
		var seen []audit.Event
		f := audit.Filter{Limit: 2}
		for page := 0; ; page++ {
			if page > len(stored) {
				t.Fatalf("paging does not end: %d pages", page)
			}
			got, err := s.AuditEvents(ctx, f)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			if len(got) == 0 {
				break
			}
			seen = append(seen, got...)
			f.BeforeID = got[len(got)-1].ID
		}
		if d := diff(newestFirst(stored), seen); d != "" {
			t.Errorf("pages backwards (-want +got):\n%s", d)
		}
		// Forwards, as a poller asks for what is new since the last it saw.
		got, err := s.AuditEvents(ctx, audit.Filter{AfterID: stored[len(stored)-1].ID})
		if err != nil || len(got) != 0 {
			t.Fatalf("nothing new: %v, %v", got, err)
		}
		e := audit.Event{At: base.Add(time.Minute), Actor: audit.OperatorActor("alice"), Family: audit.FamilyCLI, Action: "users unlock",
			Target: "bob", Outcome: "ok"}
		if e.ID, err = s.InsertAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err = s.AuditEvents(ctx, audit.Filter{AfterID: stored[len(stored)-1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]audit.Event{e}, got); d != "" {
			t.Errorf("the new event (-want +got):\n%s", d)
		}
	})

	t.Run("ConcurrentInserts", func(t *testing.T) {
		s := open(t)
		const writers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		ids := make(chan int64, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id, err := s.InsertAuditEvent(ctx, audit.Event{At: base, Actor: audit.KeyActor(int64(w), "k"), Family: audit.FamilyWorkload,
						Action: "POST /api/roles", Target: fmt.Sprint(i), Outcome: "ok", Status: 200})
					if err != nil {
						errs <- err
						return
					}
					ids <- id
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(ids)
		for err := range errs {
			t.Fatalf("InsertAuditEvent: %v", err)
		}
		var got []int64
		for id := range ids {
			got = append(got, id)
		}
		slices.Sort(got)
		if len(slices.Compact(slices.Clone(got))) != writers*each {
			t.Fatalf("%d IDs given, %d distinct; want %d distinct", len(got), len(slices.Compact(slices.Clone(got))), writers*each)
		}
		all, err := s.AuditEvents(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		listed := make([]int64, len(all))
		for i, e := range all {
			listed[len(all)-1-i] = e.ID
		}
		if !slices.Equal(listed, got) {
			t.Errorf("listed IDs (reversed) %v, want the IDs given %v", listed, got)
		}
	})
}
