package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The demo fleet (the seeds' examples).
const (
	osceServer = "026332F39EBC-41C19604-02DD-2C5F-EDE5"
	apexOne01  = "33111111-1111-AAAA-AAAA-111100000001"
	apexOne02  = "11111111-1111-AAAA-AAAA-111100000002"
	client01   = "492E8584-0114-694D-BF9D-44CC20141501"
	client02   = "492E8584-0114-694D-BF9D-44CC20141502"
	client03   = "492E8584-0114-694D-BF9D-44CC20141503"
	osceClient = "8a1a84550462-40bc9afc-3770-16ac-cd6c"
)

var officeScanAgents = []string{client01, client02, client03, osceClient}

// cliTest runs the CLI in-process, through Main, against a real server
// (servertest: loopback, fake clock), with an environment, a sleeper and a
// terminal setting of its own handed to Main through the context.
type cliTest struct {
	t     *testing.T
	env   *servertest.Env
	home  string
	creds string
	mu    sync.Mutex
	vars  map[string]string
	// sleep replaces the waits between polls; nil fails the test on any
	// wait.
	sleep func(ctx context.Context, d time.Duration) error
	tty   bool
}

func newCLITest(t *testing.T) *cliTest {
	t.Helper()
	env := servertest.Start(t)
	home := t.TempDir()
	c := &cliTest{t: t, env: env, home: home, creds: filepath.Join(env.DataDir, "credentials.json"),
		vars: map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")}}
	return c
}

// setenv sets (or with "", unsets) a variable of the CLI's environment.
func (c *cliTest) setenv(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == "" {
		delete(c.vars, k)
		return
	}
	c.vars[k] = v
}

func (c *cliTest) system() system {
	return system{
		Getenv: func(k string) string {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.vars[k]
		},
		Now: c.env.Clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if c.sleep == nil {
				c.t.Errorf("the CLI waited %v with no sleeper set", d)
				return context.Canceled
			}
			return c.sleep(ctx, d)
		},
		IsTerminal: func(any) bool { return c.tty },
	}
}

type result struct {
	code        int
	out, errOut string
}

// run runs the CLI with stdin and args.
func (c *cliTest) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code := Main(withSystem(context.Background(), c.system()), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// ok runs the CLI and fails the test unless it exits 0.
func (c *cliTest) ok(args ...string) result {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != 0 {
		c.t.Fatalf("rampart %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.out, r.errOut)
	}
	return r
}

// exit runs the CLI and checks its exit code.
func (c *cliTest) exit(want int, args ...string) result {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != want {
		c.t.Fatalf("rampart %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.out, r.errOut)
	}
	return r
}

// withCreds appends --credentials to args.
func (c *cliTest) withCreds(args ...string) []string {
	return append(args, "--credentials", c.creds)
}

// secretRE matches an API key secret (<ID>:<base64>).
var secretRE = regexp.MustCompile(`\b[0-9]+:[A-Za-z0-9+/]{20,}={0,2}`)

// normalise replaces what changes from run to run: the server's URL and
// port, the temporary home, API key secrets.
func (c *cliTest) normalise(s string) string {
	s = strings.ReplaceAll(s, c.env.URL, "http://SERVER")
	s = strings.ReplaceAll(s, c.env.DataDir, "$DATA")
	s = strings.ReplaceAll(s, c.home, "$HOME")
	s = strings.ReplaceAll(s, c.env.AppID, "<app-id>")
	return secretRE.ReplaceAllString(s, "<secret>")
}

// golden compares got with testdata/name (rewritten with -update).
func (c *cliTest) golden(name, got string) {
	c.t.Helper()
	got = c.normalise(got)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			c.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		c.t.Errorf("%s differs from the golden file (run with -update if the change is right)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// goldenFormats runs args in each output format and compares each with
// testdata/name.{table,json,yaml}.
func (c *cliTest) goldenFormats(name string, args ...string) {
	c.t.Helper()
	for _, f := range formats {
		r := c.ok(append(args, "-o", f)...)
		c.golden(name+"."+f, r.out)
	}
}

// agentsSleeper returns a sleeper that, instead of waiting, lets the
// agents ids check in and report their commands carried out (ok) or
// failed, as virtual agents do.
func (c *cliTest) agentsSleeper(ok bool, ids ...string) func(context.Context, time.Duration) error {
	return func(ctx context.Context, _ time.Duration) error {
		agent := c.env.Agent()
		for _, id := range ids {
			cmds, err := agent.CheckIn(ctx, agentproto.CheckInRequest{AgentID: id})
			if err != nil {
				continue // uninstalled meanwhile
			}
			var res []agentproto.Result
			for _, cmd := range cmds {
				res = append(res, agentproto.Result{CommandID: cmd.ID, OK: ok, Message: "reported by the test"})
			}
			if len(res) > 0 {
				if err := agent.Report(ctx, agentproto.ResultsRequest{AgentID: id, Results: res}); err != nil {
					c.t.Errorf("report of %s: %v", id, err)
				}
			}
		}
		return ctx.Err()
	}
}

// migrationSleeper returns a sleeper that, instead of waiting, moves the
// server's clock one migration step on and runs the migration runner once.
func (c *cliTest) migrationSleeper() func(context.Context, time.Duration) error {
	return func(ctx context.Context, _ time.Duration) error {
		step := c.env.Server.Appliances.StepTime()
		c.env.Clock.Advance(step)
		if _, err := c.env.Server.Appliances.Tick(ctx, "cli-test-runner", step); err != nil {
			c.t.Errorf("tick: %v", err)
		}
		return ctx.Err()
	}
}

// mustNotContain fails when any output holds secret.
func mustNotContain(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.out, s) || strings.Contains(r.errOut, s)) {
			t.Errorf("the output shows a secret:\nstdout:\n%s\nstderr:\n%s", r.out, r.errOut)
		}
	}
}
