package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestApexListings checks `servers list` and `agents list` in every
// format against golden files.
func TestApexListings(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	c.goldenFormats("servers-list", c.withCreds("servers", "list")...)
	c.goldenFormats("agents-list", c.withCreds("agents", "list")...)
	c.golden("agents-list-server.table", c.ok(c.withCreds("agents", "list", "--server", osceServer)...).out)
	c.golden("servers-list-host.table", c.ok(c.withCreds("servers", "list", "--host", "ApexOne02")...).out)
	if r := c.ok(c.withCreds("agents", "list", "--host", "nobody", "-o", "json")...); strings.TrimSpace(r.out) != "[]" {
		t.Errorf("no match printed %q, want []", r.out)
	}
}

// TestUpdateSources is seed 000 with the CLI.
func TestUpdateSources(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	deploy := func(args ...string) []string {
		return c.withCreds(append([]string{"update-sources", "deploy"}, args...)...)
	}
	seed := deploy("--server", osceServer, "--from-ip", "10.1.1.2", "--to-ip", "100.1.1.10", "--ous", "http://10.1.1.1:21112/activeupdate")
	c.golden("update-sources-deploy.table", c.ok(seed...).out)
	c.golden("update-sources-deploy.json", c.ok(append(seed, "-o", "json")...).out)

	// Two ranges sharing one Update Agent, and an IPv6 prefix.
	c.ok(deploy("--server", apexOne01, "--from-ip", "10.1.1.1", "--to-ip", "10.1.1.2", "--from-ip", "10.1.1.3", "--to-ip", "10.1.1.9",
		"--ous", "http://10.1.1.1:21112/activeupdate", "--ipv6", "fd96:7568:9882:6::/64", "--ipv6-ous", "http://[fd96:7568:9882:6::1]:21112/activeupdate")...)

	// A server without the capability: nothing deployed, exit 1.
	r := c.exit(ExitFailure, deploy("--server", apexOne02, "--from-ip", "10.1.1.2", "--to-ip", "10.1.1.3", "--ous", "http://10.1.1.1:21112/activeupdate")...)
	if !strings.Contains(r.errOut, "cannot deploy update sources") {
		t.Errorf("stderr: %s", r.errOut)
	}
	usage := [][]string{
		deploy("--from-ip", "10.1.1.2", "--to-ip", "10.1.1.3", "--ous", "http://x/"), // no server
		deploy("--server", osceServer), // no range
		deploy("--server", osceServer, "--from-ip", "10.1.1.2", "--ous", "http://x/"),                               // unpaired
		deploy("--server", osceServer, "--from-ip", "10.1.1.9", "--to-ip", "10.1.1.2", "--ous", "http://10.1.1.1/"), // the server refuses: -21
		deploy("--server", osceServer, "--ipv6", "nonsense", "--ipv6-ous", "http://x/"),
	}
	for _, args := range usage {
		c.exit(ExitUsage, args...)
	}
	c.exit(ExitNotFound, deploy("--server", "NO-SUCH-SERVER", "--from-ip", "10.1.1.2", "--to-ip", "10.1.1.3", "--ous", "http://10.1.1.1:21112/activeupdate")...)
}

// TestAgentActions is seeds 001 and 002 with the CLI, and the failure
// paths: every wait is driven by the agents checking in, never by time.
func TestAgentActions(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	agents := func(args ...string) []string { return c.withCreds(append([]string{"agents"}, args...)...) }

	t.Run("isolate and restore with --wait (seed 002)", func(t *testing.T) {
		c.sleep = c.agentsSleeper(true, osceClient)
		r := c.ok(agents("isolate", "--host", "OSCECLIENT", "--wait")...)
		c.golden("agents-isolate-wait.table", r.out)
		if !strings.Contains(r.errOut, "OSCECLIENT ("+osceClient+"): endpoint_isolation_pending\n") ||
			!strings.Contains(r.errOut, "OSCECLIENT ("+osceClient+"): isolated\n") {
			t.Errorf("progress lines:\n%s", r.errOut)
		}
		r = c.ok(agents("restore", "--host", "OSCECLIENT", "--wait", "-o", "yaml")...)
		c.golden("agents-restore-wait.yaml", r.out)
	})

	t.Run("without --wait the pending state is printed", func(t *testing.T) {
		c.sleep = nil
		r := c.ok(agents("isolate", "--id", client02, "-o", "json")...)
		var got []map[string]any
		if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 || got[0]["isolation_status"] != "endpoint_isolation_pending" {
			t.Fatalf("isolate printed %s (%v)", r.out, err)
		}
		// It settles once the agent checks in.
		c.sleep = c.agentsSleeper(true, client02)
		c.ok(agents("restore", "--id", client02, "--wait")...)
	})

	t.Run("an isolation the agent refuses fails the wait", func(t *testing.T) {
		c.sleep = c.agentsSleeper(false, client02)
		r := c.exit(ExitFailure, agents("isolate", "--mac", "00:60:59:a4:70:2e", "--wait", "-o", "json")...)
		var got []map[string]any
		if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 || got[0]["isolation_status"] != "normal" {
			t.Errorf("final state %s (%v), want normal", r.out, err)
		}
		if !strings.Contains(r.errOut, "settled as normal, want isolated") {
			t.Errorf("stderr: %s", r.errOut)
		}
	})

	t.Run("a wait cut by --timeout exits 6", func(t *testing.T) {
		c.sleep = nil
		c.exit(ExitTimeout, agents("isolate", "--host", "client03", "--wait", "--timeout", "1ns")...)
		c.sleep = c.agentsSleeper(true, client03)
		c.ok(agents("restore", "--host", "client03", "--wait")...)
	})

	t.Run("selection", func(t *testing.T) {
		c.sleep = nil
		c.exit(ExitUsage, agents("isolate")...)
		r := c.exit(ExitUsage, agents("isolate", "--product", "SLF_PRODUCT_OFFICESCAN_CE")...)
		if !strings.Contains(r.errOut, "4 agents match") || !strings.Contains(r.errOut, "--all-matches") {
			t.Errorf("stderr: %s", r.errOut)
		}
		c.exit(ExitNotFound, agents("isolate", "--host", "nobody")...)
		r = c.exit(ExitFailure, agents("isolate", "--host", "host8")...)
		if !strings.Contains(r.errOut, "none can take cmd_isolate_agent") {
			t.Errorf("stderr: %s", r.errOut)
		}
		c.exit(ExitUsage, agents("relocate", "--host", "client01")...)
		c.exit(ExitNotFound, agents("relocate", "--host", "client01", "--to-server", "NO-SUCH-SERVER", "--to-folder", `\X`)...)
	})

	t.Run("several agents with --all-matches", func(t *testing.T) {
		c.sleep = c.agentsSleeper(true, officeScanAgents...)
		r := c.ok(agents("isolate", "--product", "SLF_PRODUCT_OFFICESCAN_CE", "--all-matches", "--wait")...)
		if n := strings.Count(r.out, " isolated\n"); n != 4 {
			t.Errorf("%d agents isolated, want 4:\n%s", n, r.out)
		}
		c.ok(agents("restore", "--product", "SLF_PRODUCT_OFFICESCAN_CE", "--all-matches", "--wait")...)
	})

	t.Run("relocate (seed 001)", func(t *testing.T) {
		c.sleep = nil
		r := c.ok(agents("relocate", "--host", "client01", "--to-server", osceServer, "--to-folder", `\NewDomain\NewFolder`, "--all-matches", "--wait", "-o", "json")...)
		c.golden("agents-relocate.json", r.out)
	})

	t.Run("uninstall --wait ends when the agent is gone", func(t *testing.T) {
		c.sleep = c.agentsSleeper(true, client03)
		c.ok(agents("uninstall", "--host", "client03", "--wait")...)
		if r := c.ok(agents("list", "--host", "client03", "-o", "json")...); strings.TrimSpace(r.out) != "[]" {
			t.Errorf("client03 still listed: %s", r.out)
		}
	})

	t.Run("on a terminal the progress is one live line", func(t *testing.T) {
		c.tty = true
		defer func() { c.tty = false }()
		c.sleep = c.agentsSleeper(true, client01)
		r := c.ok(agents("isolate", "--host", "client01", "--wait")...)
		if !strings.Contains(r.errOut, "\r\033[K") || !strings.Contains(r.errOut, "1/1 settled; client01 is isolated") {
			t.Errorf("terminal progress: %q", r.errOut)
		}
	})
}

// TestApexAuthFailure: a refused token exits 4 and says why, without the
// key.
func TestApexAuthFailure(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	c.setenv("RAMPART_APP_KEY", "not-the-key-0123456789")
	r := c.exit(ExitAuth, c.withCreds("servers", "list")...)
	if !strings.Contains(r.errOut, "result_code -7") {
		t.Errorf("stderr: %s", r.errOut)
	}
	mustNotContain(t, r, "not-the-key-0123456789", c.env.APIKey)
	c.setenv("RAMPART_APP_KEY", "")
	c.setenv("RAMPART_APP_ID", "00000000-0000-0000-0000-000000000000")
	c.exit(ExitAuth, c.withCreds("agents", "list")...)
}
