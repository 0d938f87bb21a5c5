package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var (
	eventRow  = regexp.MustCompile(`<tr data-event="(\d+)">`)
	olderLink = regexp.MustCompile(`<a class="button" href="([^"]+)" id="older">`)
)

// eventIDs are the IDs of the events a page of the audit log lists, in
// its order.
func eventIDs(t *testing.T, body string) []int64 {
	t.Helper()
	var ids []int64
	for _, m := range eventRow.FindAllStringSubmatch(body, -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func record(t *testing.T, env *servertest.Env, e audit.Event) {
	t.Helper()
	if _, err := env.Server.Audit.Record(ctx, e); err != nil {
		t.Fatal(err)
	}
}

// TestAuditLog reads the audit log page: filters as audit.Filter has
// them, refusals of bad filters, escaping, and paging to older events.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	// Three Apex Central calls two hours ago; then the sign-in, and 55
	// Workload Security calls of key 5.
	app := audit.ApplicationActor(env.AppID, "Rampart demo")
	for i := range 3 {
		record(t, env, audit.Event{Actor: app, Family: audit.FamilyApexCentral, Action: "POST /webapp/api/agentresource/productagents cmd_isolate_agent",
			Target: "<b>agent-" + strconv.Itoa(i) + "</b>", Status: http.StatusOK})
	}
	env.Clock.Advance(2 * time.Hour)
	s := signedIn(t, env, env.AdminUser, env.AdminPassword)
	for i := range 55 {
		record(t, env, audit.Event{Actor: audit.KeyActor(5, "playbooks"), Family: audit.FamilyWorkload, Action: "POST /api/apikeys",
			Target: "key-" + strconv.Itoa(i), Status: http.StatusForbidden, Outcome: audit.OutcomeOf(http.StatusForbidden, "Not authorized")})
	}

	cases := []struct {
		name, query string
		status      int
		rows        int  // events listed
		older       bool // a link to older events
		want, not   []string
	}{
		{"everything: the newest page", "", http.StatusOK, 50, true, []string{"key-54", "playbooks", "refused 403: Not authorized", `<th scope="col">Outcome</th>`}, []string{"key-4<"}},
		{"actor kind", "actor_kind=application", http.StatusOK, 3, false, []string{"cmd_isolate_agent", "Rampart demo", env.AppID, "&lt;b&gt;agent-0&lt;/b&gt;"}, []string{"<b>agent-0", "playbooks"}},
		{"actor kind and ID", "actor_kind=api-key&actor_id=6", http.StatusOK, 0, false, []string{"No event matches."}, nil},
		{"family", "family=console", http.StatusOK, 1, false, []string{"POST /console/signin", "administrator", env.AdminUser, `<option value="console" selected>`}, []string{"playbooks"}},
		{"family without events", "family=cli", http.StatusOK, 0, false, []string{"No event matches."}, nil},
		{"since a duration", "since=1h&actor_kind=application", http.StatusOK, 0, false, nil, nil},
		{"since a longer duration", "since=3h&actor_kind=application", http.StatusOK, 3, false, nil, nil},
		{"since a time", "since=2026-11-24T13:00:00Z&family=console", http.StatusOK, 1, false, []string{`value="2026-11-24T13:00:00Z"`}, nil},
		{"since a time before the first events", "since=2026-11-24T11:00:00Z&family=apexcentral", http.StatusOK, 3, false, nil, nil},
		{"unknown actor kind", "actor_kind=robot", http.StatusBadRequest, 0, false, []string{`role="alert"`, `actor kind &#34;robot&#34;`}, nil},
		{"unknown family", "family=soap", http.StatusBadRequest, 0, false, []string{`role="alert"`, `family &#34;soap&#34;`}, nil},
		{"since not a time", "since=yesterday", http.StatusBadRequest, 0, false, []string{`role="alert"`, "neither a duration"}, nil},
		{"since negative", "since=-1h", http.StatusBadRequest, 0, false, []string{`role="alert"`, "positive duration"}, nil},
		{"page not an ID", "before=abc", http.StatusBadRequest, 0, false, []string{`role="alert"`, "not an event ID"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := s.get(auditPath + "?" + tc.query)
			if a.Status != tc.status {
				t.Fatalf("answered %d, want %d: %s", a.Status, tc.status, a.Body)
			}
			ids := eventIDs(t, a.Body)
			if len(ids) != tc.rows {
				t.Errorf("%d events listed, want %d", len(ids), tc.rows)
			}
			if !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
				t.Errorf("events not newest first: %v", ids)
			}
			if got := olderLink.MatchString(a.Body); got != tc.older {
				t.Errorf("link to older events: %v, want %v", got, tc.older)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.Body, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(a.Body, n) {
					t.Errorf("the page shows %q", n)
				}
			}
			if missing := unlabelled(a.Body); len(missing) > 0 {
				t.Errorf("inputs without a label: %v", missing)
			}
		})
	}

	t.Run("paging to older events keeps the filter", func(t *testing.T) {
		var seen []int64
		next, pages := auditPath+"?family=workload", 0
		for next != "" {
			pages++
			if pages > 3 {
				t.Fatal("the older links do not end")
			}
			a := s.get(next)
			if a.Status != http.StatusOK {
				t.Fatalf("GET %s answered %d", next, a.Status)
			}
			ids := eventIDs(t, a.Body)
			if len(seen) > 0 && len(ids) > 0 && ids[0] >= seen[len(seen)-1] {
				t.Errorf("page %d starts at event %d, not older than %d", pages, ids[0], seen[len(seen)-1])
			}
			if strings.Contains(a.Body, "POST /console/signin") {
				t.Errorf("page %d lost the family filter", pages)
			}
			if pages > 1 && !strings.Contains(a.Body, `id="newest"`) {
				t.Errorf("page %d has no link back to the newest events", pages)
			}
			seen = append(seen, ids...)
			next = ""
			if m := olderLink.FindStringSubmatch(a.Body); m != nil {
				next = html.UnescapeString(m[1])
				if u, err := url.Parse(next); err != nil || u.Query().Get("family") != "workload" {
					t.Errorf("the older link %q drops the filter", next)
				}
			}
		}
		if pages != 2 || len(seen) != 55 || !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("%d pages listed %d events (%v), want 2 pages of all 55, newest first", pages, len(seen), seen)
		}
	})
}

// TestConsoleChangesAreAudited checks the audit trail of console forms:
// a change, a refusal for a missing CSRF token and one for a missing
// right are each one event of the console family, by the administrator
// who sent the form.
func TestConsoleChangesAreAudited(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	auditorPassword := addAdmin(t, env, "auditor", identity.AuditorRoleID)
	admins, err := env.Server.Access.Admins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actor := map[string]audit.Actor{}
	for _, a := range admins {
		actor[a.Username] = audit.AdministratorActor(a.ID, a.Username)
	}
	sessions := map[string]*session{
		env.AdminUser: signedIn(t, env, env.AdminUser, env.AdminPassword),
		"auditor":     signedIn(t, env, "auditor", auditorPassword),
	}
	refused := audit.OutcomeOf(http.StatusForbidden, http.StatusText(http.StatusForbidden))
	cases := []struct {
		name, user, path string
		fields           func(*testing.T, *session) url.Values
		csrf             *string // nil: the session's token
		status           int
		action, target   string
		outcome          string
	}{
		{name: "add application", user: env.AdminUser, path: appsPath + "/add", fields: addForm("Audited playbooks", "60", true),
			status: http.StatusSeeOther, action: "POST " + appsPath + "/add", outcome: "ok"},
		{name: "isolate agent", user: env.AdminUser, path: "/console/fleet/agents/act", fields: values("act", "cmd_isolate_agent", "entity_id", client01),
			status: http.StatusSeeOther, action: "POST /console/fleet/agents/act cmd_isolate_agent", target: client01, outcome: "ok"},
		{name: "disable application", user: env.AdminUser, path: appsPath + "/" + env.AppID + "/disable", fields: values(),
			status: http.StatusSeeOther, action: "POST " + appsPath + "/{id}/disable", target: env.AppID, outcome: "ok"},
		{name: "CSRF token missing", user: env.AdminUser, path: "/console/fleet/agents/act", fields: values("act", "cmd_uninstall_agent", "entity_id", client01),
			csrf: new(""), status: http.StatusForbidden, action: "POST /console/fleet/agents/act", outcome: refused},
		{name: "CSRF token wrong", user: env.AdminUser, path: keysPath + "/1/delete", fields: values(),
			csrf: new("forged"), status: http.StatusForbidden, action: "POST " + keysPath + "/{id}/delete", target: "1", outcome: refused},
		{name: "a right missing", user: "auditor", path: keysPath + "/1/deactivate", fields: values(),
			status: http.StatusForbidden, action: "POST " + keysPath + "/{id}/deactivate", target: "1", outcome: refused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sessions[tc.user]
			before, err := env.Server.Audit.List(ctx, audit.Filter{Limit: 1})
			if err != nil || len(before) != 1 {
				t.Fatalf("the trail: %v %v", before, err)
			}
			fields := tc.fields(t, s)
			var a answer
			if tc.csrf == nil {
				a = s.submit(tc.path, fields)
			} else {
				fields.Set("csrf", *tc.csrf)
				a = s.post(tc.path, fields)
			}
			if a.Status != tc.status {
				t.Fatalf("answered %d, want %d: %s", a.Status, tc.status, a.Body)
			}
			events, err := env.Server.Audit.List(ctx, audit.Filter{AfterID: before[0].ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("%d events recorded, want 1: %+v", len(events), events)
			}
			e := events[0]
			if e.Actor != actor[tc.user] || e.Actor.Kind != audit.KindAdministrator || e.Actor.Name != tc.user {
				t.Errorf("actor %+v, want administrator %s %+v", e.Actor, tc.user, actor[tc.user])
			}
			if e.Family != audit.FamilyConsole || e.Action != tc.action || e.Target != tc.target || e.Outcome != tc.outcome || e.Status != tc.status {
				t.Errorf("event %+v, want console %q on %q, %q (%d)", e, tc.action, tc.target, tc.outcome, tc.status)
			}
			// The audit log page shows it, with who did it.
			page := s.get(auditPath + "?family=console&actor_kind=administrator&actor_id=" + e.Actor.ID)
			if ids := eventIDs(t, page.Body); page.Status != http.StatusOK || len(ids) == 0 || ids[0] != e.ID || !strings.Contains(page.Body, html.EscapeString(tc.action)) {
				t.Errorf("the audit log (%d) does not list event %d first: %v", page.Status, e.ID, ids)
			}
		})
	}
}
