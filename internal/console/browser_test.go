package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium tab on a console, shared by the flows
// of TestBrowser, with the directory its screenshots go to.
type browser struct {
	t     *testing.T
	env   *servertest.Env
	ctx   context.Context
	shots string
	n     int
}

// step runs actions with a deadline: no wait in these tests is unbounded.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// read returns the result of one action, with a deadline.
func read[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the whole page as a PNG test artefact.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := read(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.n++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("saving %s: %v", path, err)
	}
}

// waitFor waits, with a deadline, until a JavaScript expression is true.
func (b *browser) waitFor(what, expression string) {
	b.t.Helper()
	read(b, what, chromedp.Poll[bool](expression, chromedp.WithPollingInterval(100*time.Millisecond)))
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.step("opening "+path, chromedp.Navigate(b.env.URL+path))
}

// artefacts is where screenshots go: $RAMPART_ARTIFACTS, else a
// temporary directory of the test.
func artefacts(t *testing.T) string {
	dir := os.Getenv("RAMPART_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser drives the console in headless Chromium as an operator
// would, through the seeds' first steps: one browser, one server, the
// flows one after the other.
func TestBrowser(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian's chromium is missing (%v): .ci/run must install it", err)
		}
		t.Skipf("Debian's chromium is not installed (%v): apt-get install chromium", err)
	}
	start := time.Now()
	env := servertest.Start(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-US"))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	quiet := func(string, ...any) {}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(quiet), chromedp.WithErrorf(quiet))
	t.Cleanup(cancel)
	// The first Do starts the browser, whose life is bound to the
	// context of that call: ctx, without a deadline. The start itself is
	// bounded here, and every step has a deadline of its own.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting chromium: %v", err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("chromium did not start within 60 s")
	}
	b := &browser{t: t, env: env, ctx: ctx, shots: artefacts(t)}
	t.Logf("chromium started in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), b.shots)

	t.Run("sign in", func(t *testing.T) {
		b.t = t
		b.open("/console/administration/settings/automation-api")
		b.step("sign-in page", chromedp.WaitVisible(chromedp.ID("username")))
		b.screenshot("signin")
		if got := read(b, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != "username" {
			t.Errorf("the sign-in page focuses %q, want the username", got)
		}
		b.step("signing in",
			chromedp.SendKeys(chromedp.ID("username"), env.AdminUser),
			chromedp.SendKeys(chromedp.ID("password"), env.AdminPassword),
			chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)))
		if loc := read(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/console/administration/settings/automation-api") {
			t.Errorf("after sign-in the browser is at %s, want the page it asked for", loc)
		}
	})

	t.Run("add an application and call the Apex Central API with it", func(t *testing.T) {
		b.t = t
		// Administration > Settings > Automation API Access Settings.
		b.step("the settings screen", chromedp.WaitVisible(chromedp.ID("apps")))
		b.screenshot("automation-api")
		// Click Add: the Application Access Settings section appears.
		b.step("Add", chromedp.Click(chromedp.ID("add")), chromedp.WaitVisible(chromedp.ID("access")))
		id := read(b, "application ID", chromedp.Value(chromedp.ID("app_id")))
		key := read(b, "API key", chromedp.Value(chromedp.ID("api_key")))
		apiType := read(b, "API type", chromedp.Value(chromedp.ID("api_type")))
		if id == "" || key == "" || apiType != "Apex Central Automation API" {
			t.Fatalf("the section shows ID %q, a key of %d characters, API type %q", id, len(key), apiType)
		}
		// Select Enable..., name the application, choose a time-out, Save.
		b.step("filling the section",
			chromedp.Click(chromedp.ID("enabled")),
			chromedp.SendKeys(chromedp.ID("name"), "Browser playbook"),
			chromedp.SetValue(chromedp.ID("timeout"), "120"))
		b.screenshot("automation-api-add")
		row := fmt.Sprintf(`tr[data-app-id="%s"]`, id)
		b.step("Save", chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.CSS(row)))
		b.screenshot("automation-api-saved")
		text := read(b, "the new row", chromedp.Text(chromedp.CSS(row)))
		for _, want := range []string{"Browser playbook", "Enabled", "120 seconds"} {
			if !strings.Contains(text, want) {
				t.Errorf("the new row %q lacks %q", text, want)
			}
		}
		if page := read(b, "page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(page, key) {
			t.Errorf("the API key is shown again after Save")
		}
		// The ID and key read off the page sign a real API call.
		c, err := apexcentral.New(apexcentral.Config{BaseURL: env.URL, ApplicationID: id, APIKey: key,
			Transport: transport.Options{Now: env.Clock.Now}})
		if err != nil {
			t.Fatal(err)
		}
		cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
		defer ccancel()
		servers, err := c.ListServers(cctx, apexcentral.ServerFilter{})
		if err != nil || len(servers) != 4 {
			t.Fatalf("ListServers with the new application: %d servers, %v", len(servers), err)
		}
	})

	t.Run("isolate an agent and watch it become isolated", func(t *testing.T) {
		b.t = t
		b.step("the agents page", chromedp.Click(chromedp.CSS(`nav a[href="/console/fleet/agents"]`)), chromedp.WaitVisible(chromedp.ID("agents")))
		b.step("typing a host name",
			chromedp.SendKeys(chromedp.ID("f-host"), "client01"))
		read(b, "filtering by host name", chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Submit(chromedp.ID("f-host"))))
		if loc := read(b, "location", chromedp.Location()); !strings.Contains(loc, "host_name=client01") {
			t.Errorf("the filter led to %s", loc)
		}
		row := fmt.Sprintf(`tr[data-agent="%s"]`, client01)
		b.step("one row", chromedp.WaitVisible(chromedp.CSS(row)))
		if n := read(b, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#agents tr[data-agent]").length`)); n != 1 {
			t.Errorf("the host-name filter shows %d agents", n)
		}
		b.screenshot("agents")
		b.step("Isolate", chromedp.Click(chromedp.CSS(row+` a[data-act="cmd_isolate_agent"]`)), chromedp.WaitVisible(chromedp.ID("act-form")))
		b.screenshot("agent-isolate-confirm")
		b.step("confirming", chromedp.Click(chromedp.ID("confirm")),
			chromedp.WaitVisible(chromedp.CSS(row+` .status[data-status="endpoint_isolation_pending"]`)))
		if n := read(b, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#agents tr[data-agent]").length`)); n != 1 {
			t.Errorf("after the action the list shows %d agents, want the filtered one", n)
		}
		b.screenshot("agents-isolation-pending")
		// The agent checks in over the agent protocol, collects the
		// command and reports it carried out; the page, left alone, shows
		// the new status.
		agentc := env.Agent()
		cmds, err := agentc.CheckIn(ctx, agentproto.CheckInRequest{AgentID: client01})
		if err != nil || len(cmds) != 1 || cmds[0].Kind != "isolate" {
			t.Fatalf("check-in: %+v, %v", cmds, err)
		}
		if err := agentc.Report(ctx, agentproto.ResultsRequest{AgentID: client01,
			Results: []agentproto.Result{{CommandID: cmds[0].ID, OK: true, Message: "isolated by the test"}}}); err != nil {
			t.Fatal(err)
		}
		b.step("waiting for isolated", chromedp.WaitVisible(chromedp.CSS(row+` .status[data-status="isolated"]`)))
		if got := read(b, "status", chromedp.Text(chromedp.CSS(row+" .status"))); got != string(fleet.StatusIsolated) {
			t.Errorf("the status reads %q", got)
		}
		b.screenshot("agents-isolated")
	})

	t.Run("upgrade an appliance and watch it finish", func(t *testing.T) {
		b.t = t
		b.step("the appliances page", chromedp.Click(chromedp.CSS(`nav a[href="/console/appliances"]`)), chromedp.WaitVisible(chromedp.ID("appliances")))
		b.screenshot("appliances")
		b.step("appliance 8", chromedp.Click(chromedp.CSS(`a[href="/console/appliances/8"]`)), chromedp.WaitVisible(chromedp.ID("upgrade")))
		b.screenshot("appliance")
		b.step("Upgrade", chromedp.Click(chromedp.ID("upgrade")), chromedp.WaitVisible(chromedp.CSS(`#migration[data-step="1"]`)))
		steps := env.Server.Appliances.StepTime()
		for step := 2; step <= 6; step++ {
			// The server's runner takes the next step once the clock
			// says it is due; the page polls and shows it.
			env.Clock.Advance(steps)
			b.step(fmt.Sprintf("step %d", step), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#migration[data-step="%d"]`, step))))
			if step == 4 {
				b.screenshot("appliance-upgrading")
			}
		}
		b.step("success", chromedp.WaitVisible(chromedp.CSS(`#migration[data-result="success"]`)),
			chromedp.WaitVisible(chromedp.ID("rollback")))
		if v := read(b, "version", chromedp.Text(chromedp.ID("base-version"))); v != "2021.4.1.10996" {
			t.Errorf("the page shows version %q after the upgrade", v)
		}
		if n := read(b, "done steps", chromedp.Evaluate[int](`document.querySelectorAll('#steps li[data-status="done"]').length`)); n != 6 {
			t.Errorf("%d steps are shown done, want 6", n)
		}
		b.screenshot("appliance-upgraded")
	})

	t.Run("other screens, and a narrow window", func(t *testing.T) {
		b.t = t
		// On a page without autofocus the keyboard reaches the skip link
		// first, shows focus, and Enter moves focus to the content.
		b.open("/console")
		b.step("tab", chromedp.WaitVisible(chromedp.CSS("main .cards")), chromedp.KeyEvent(kb.Tab))
		if got := read(b, "focus", chromedp.Evaluate[string](`document.activeElement.className + "|" + getComputedStyle(document.activeElement).outlineStyle`)); got != "skip|solid" {
			t.Errorf("the first Tab focuses %q, want the skip link with a visible outline", got)
		}
		b.step("enter", chromedp.KeyEvent(kb.Enter))
		b.waitFor("focus on the content", `document.activeElement.id === "main"`)
		for _, p := range []struct{ path, ready, name string }{
			{"/console", "main .cards", "overview"},
			{"/console/fleet/servers", "#servers", "servers"},
			{"/console/fleet/servers/" + osceServer, "#us-form", "server-update-sources"},
			{"/console/administration/api-keys", "#keys", "api-keys"},
			{"/console/administration/roles", `section[data-role="2"]`, "roles"},
			{"/console/administration/audit-log", `#audit tr[data-event]`, "audit-log"},
		} {
			b.open(p.path)
			b.step(p.name, chromedp.WaitVisible(chromedp.CSS(p.ready)))
			b.screenshot(p.name)
		}
		b.step("narrow", chromedp.EmulateViewport(390, 844))
		for _, p := range []struct{ path, ready, name string }{
			{"/console/fleet/agents", "#agents", "narrow-agents"},
			{"/console/administration/settings/automation-api/add", "#access", "narrow-automation-api-add"},
			{"/console/administration/audit-log", `#audit tr[data-event]`, "narrow-audit-log"},
		} {
			b.open(p.path)
			b.step(p.name, chromedp.WaitVisible(chromedp.CSS(p.ready)))
			// Wide tables scroll in their own box; the page itself does
			// not scroll sideways.
			if w := read(b, "width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
				t.Errorf("%s overflows a narrow window by %d px", p.path, w)
			}
			b.screenshot(p.name)
		}
		b.step("wide again", chromedp.ResetViewport())
	})

	t.Run("sign out", func(t *testing.T) {
		b.t = t
		b.open("/console")
		b.step("sign out", chromedp.Click(chromedp.CSS(`form[action="/console/signout"] button`)), chromedp.WaitVisible(chromedp.ID("username")))
		b.open("/console/fleet/agents")
		if loc := read(b, "location", chromedp.Location()); !strings.Contains(loc, "/console/signin?next=") {
			t.Errorf("after sign-out the agents page is at %s, want the sign-in page", loc)
		}
	})
	t.Logf("browser flows took %s", time.Since(start).Round(time.Millisecond))
}
