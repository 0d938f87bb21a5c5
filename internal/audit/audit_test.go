package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/audit"
)

// fakeStore keeps what it is given; the engines' behaviour is the
// conformance suite's business (internal/store/storetest).
type fakeStore struct {
	events []audit.Event
	filter audit.Filter
	err    error
}

func (f *fakeStore) InsertAuditEvent(_ context.Context, e audit.Event) (int64, error) {
	if f.err != nil {
		return 0, f.err
	}
	f.events = append(f.events, e)
	return int64(len(f.events)), nil
}

func (f *fakeStore) AuditEvents(_ context.Context, filter audit.Filter) ([]audit.Event, error) {
	f.filter = filter
	return f.events, f.err
}

// clock is 2026-11-24 12:00:00.123456789 in UTC+2, so that the service is
// seen to convert to UTC and cut to the millisecond.
var clock = time.Date(2026, 11, 24, 14, 0, 0, 123_456_789, time.FixedZone("EET", 2*3600))

func newService() (*audit.Service, *fakeStore) {
	st := &fakeStore{}
	return audit.NewService(st, func() time.Time { return clock }), st
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	stamped := time.Date(2026, 11, 24, 12, 0, 0, 123_000_000, time.UTC)
	key := audit.KeyActor(5, "playbooks")
	tests := []struct {
		name    string
		in      audit.Event
		want    audit.Event // ID and At are filled in by the test
		wantErr bool
	}{
		{"kept as given",
			audit.Event{Actor: key, Family: audit.FamilyWorkload, Action: "POST /api/apikeys", Target: "6", Outcome: "ok", Status: 200},
			audit.Event{Actor: audit.Actor{Kind: "api-key", ID: "5", Name: "playbooks"}, Family: "workload", Action: "POST /api/apikeys", Target: "6", Outcome: "ok", Status: 200}, false},
		{"the caller's time is replaced by the clock's",
			audit.Event{At: time.Unix(1, 0), ID: 77, Actor: audit.OperatorActor("root"), Family: audit.FamilyCLI, Action: "apps add", Outcome: "ok"},
			audit.Event{Actor: audit.Actor{Kind: "operator", ID: "root"}, Family: "cli", Action: "apps add", Outcome: "ok"}, false},
		{"outcome from the status when not given",
			audit.Event{Actor: key, Family: audit.FamilyNetsec, Action: "POST /api/appliancemigrations", Status: 409},
			audit.Event{Actor: key, Family: "netsec", Action: "POST /api/appliancemigrations", Outcome: "refused 409", Status: 409}, false},
		{"control characters and invalid UTF-8 made safe",
			audit.Event{Actor: audit.Actor{Kind: audit.KindAdministrator, ID: "1", Name: "eve\nforged line"}, Family: audit.FamilyConsole,
				Action: "POST /console/x\x00y", Target: "bad \xff byte", Outcome: " ok\t", Status: 303},
			audit.Event{Actor: audit.Actor{Kind: "administrator", ID: "1", Name: "eve forged line"}, Family: "console",
				Action: "POST /console/x y", Target: "bad \uFFFD byte", Outcome: "ok", Status: 303}, false},
		{"unknown actor kind", audit.Event{Actor: audit.Actor{Kind: "agent"}, Family: audit.FamilyWorkload, Action: "x"}, audit.Event{}, true},
		{"no actor kind", audit.Event{Family: audit.FamilyWorkload, Action: "x"}, audit.Event{}, true},
		{"unknown family", audit.Event{Actor: key, Family: "agentproto", Action: "x"}, audit.Event{}, true},
		{"empty action", audit.Event{Actor: key, Family: audit.FamilyWorkload, Action: " \n "}, audit.Event{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st := newService()
			got, err := svc.Record(ctx, tt.in)
			if tt.wantErr {
				if !errors.Is(err, audit.ErrInvalid) {
					t.Fatalf("Record: err = %v, want ErrInvalid", err)
				}
				if len(st.events) != 0 {
					t.Errorf("a refused event was stored: %+v", st.events)
				}
				return
			}
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			want := tt.want
			want.ID, want.At = 1, stamped
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Record returned (-want +got):\n%s", d)
			}
			stored := want
			stored.ID = 0 // the store gives the ID
			if len(st.events) != 1 || cmp.Diff(stored, st.events[0]) != "" {
				t.Errorf("stored %+v, want %+v", st.events, stored)
			}
		})
	}
}

func TestRecordCutsLongTexts(t *testing.T) {
	svc, st := newService()
	long := strings.Repeat("é", 1000) // 2 bytes each: the cut must not split one
	if _, err := svc.Record(context.Background(), audit.Event{Actor: audit.AdministratorActor(1, long), Family: audit.FamilyConsole,
		Action: "POST /console/" + long, Target: long, Outcome: long}); err != nil {
		t.Fatal(err)
	}
	e := st.events[0]
	for name, s := range map[string]string{"name": e.Actor.Name, "action": e.Action, "target": e.Target, "outcome": e.Outcome} {
		if len(s) > 512 || !utf8.ValidString(s) || !strings.HasSuffix(s, "…") {
			t.Errorf("%s: %d bytes, valid UTF-8 %v, ends %q; want at most 512, valid, marked", name, len(s), utf8.ValidString(s), s[max(0, len(s)-6):])
		}
	}
}

func TestRecordStoreFailure(t *testing.T) {
	svc, st := newService()
	st.err = errors.New("disk full")
	_, err := svc.Record(context.Background(), audit.Event{Actor: audit.Anonymous(), Family: audit.FamilyWorkload, Action: "POST /api/sessions"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Record: err = %v, want the store's error wrapped", err)
	}
}

func TestList(t *testing.T) {
	since := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		in         audit.Filter
		wantFilter audit.Filter
		wantErr    bool
	}{
		{"zero limit is the default", audit.Filter{}, audit.Filter{Limit: audit.DefaultLimit}, false},
		{"filter passed on", audit.Filter{Since: since, Until: since.Add(time.Hour), ActorKind: audit.KindAPIKey, ActorID: "5",
			Family: audit.FamilyNetsec, AfterID: 3, BeforeID: 9, Limit: 7},
			audit.Filter{Since: since, Until: since.Add(time.Hour), ActorKind: audit.KindAPIKey, ActorID: "5",
				Family: audit.FamilyNetsec, AfterID: 3, BeforeID: 9, Limit: 7}, false},
		{"largest limit", audit.Filter{Limit: audit.MaxLimit}, audit.Filter{Limit: audit.MaxLimit}, false},
		{"limit too large", audit.Filter{Limit: audit.MaxLimit + 1}, audit.Filter{}, true},
		{"negative limit", audit.Filter{Limit: -1}, audit.Filter{}, true},
		{"since not before until", audit.Filter{Since: since, Until: since}, audit.Filter{}, true},
		{"unknown actor kind", audit.Filter{ActorKind: "robot"}, audit.Filter{}, true},
		{"unknown family", audit.Filter{Family: "webapp"}, audit.Filter{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st := newService()
			_, err := svc.List(context.Background(), tt.in)
			if tt.wantErr {
				if !errors.Is(err, audit.ErrInvalid) {
					t.Errorf("List: err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if d := cmp.Diff(tt.wantFilter, st.filter); d != "" {
				t.Errorf("filter given to the store (-want +got):\n%s", d)
			}
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		status int
		reason string
		want   string
	}{
		{200, "", "ok"},
		{202, "ignored", "ok"},
		{303, "", "ok"},
		{401, "Invalid API Key", "refused 401: Invalid API Key"},
		{403, "  Not authorized to create API keys ", "refused 403: Not authorized to create API keys"},
		{404, "", "refused 404"},
		{500, "database is locked", "failed 500"},
		{503, "", "failed 503"},
	}
	for _, tt := range tests {
		if got := audit.OutcomeOf(tt.status, tt.reason); got != tt.want {
			t.Errorf("OutcomeOf(%d, %q) = %q, want %q", tt.status, tt.reason, got, tt.want)
		}
	}
}

func TestSlot(t *testing.T) {
	ctx := context.Background()
	// Without a slot, the setters do nothing (and do not panic).
	audit.SetActor(ctx, audit.KeyActor(1, "k"))
	audit.SetTarget(ctx, "x")
	audit.Qualify(ctx, "y")

	ctx, slot := audit.WithActorSlot(ctx)
	if got := slot.Actor(); got != audit.Anonymous() {
		t.Errorf("actor of an empty slot = %+v, want anonymous", got)
	}
	// What a handler sets on a context derived from the request's is seen.
	child := context.WithValue(ctx, struct{}{}, 1)
	audit.SetActor(child, audit.ApplicationActor("APP", "SOAR"))
	audit.SetTarget(child, "AGENT-1")
	audit.Qualify(child, "cmd_isolate_agent")
	if got, want := slot.Actor(), (audit.Actor{Kind: "application", ID: "APP", Name: "SOAR"}); got != want {
		t.Errorf("actor = %+v, want %+v", got, want)
	}
	if slot.Target() != "AGENT-1" || slot.Qualifier() != "cmd_isolate_agent" {
		t.Errorf("target %q, qualifier %q", slot.Target(), slot.Qualifier())
	}
	if got := audit.KeyActor(5, "k").String(); got != "api-key 5 (k)" {
		t.Errorf("String = %q", got)
	}
	if got := audit.Anonymous().String(); got != "anonymous" {
		t.Errorf("String = %q", got)
	}
}
