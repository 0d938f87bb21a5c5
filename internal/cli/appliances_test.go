package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAppliances is seed 004 with the CLI: list, versions, upgrade and
// rollback with --wait driven by the migration runner on the server's
// fake clock, a failure injected with the operator's fail-next, and the
// exit codes of the refusals.
func TestAppliances(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	app := func(args ...string) []string { return c.withCreds(append([]string{"appliances"}, args...)...) }

	c.goldenFormats("appliances-list", app("list")...)
	c.goldenFormats("appliances-versions-8", app("versions", "8")...)
	if r := c.ok(app("list", "--query", "0e7b", "-o", "json")...); !strings.Contains(r.out, `"ID": 8`) || strings.Contains(r.out, `"ID": 2`) {
		t.Errorf("list --query: %s", r.out)
	}
	if r := c.ok(app("list", "--page-size", "1", "--sort-by", "ID", "--sort-direction", "desc")...); strings.Count(r.out, "\n") != 3 {
		t.Errorf("list across pages of 1:\n%s", r.out)
	}
	c.exit(ExitNotFound, app("status", "8")...) // no migration yet

	t.Run("upgrade --wait", func(t *testing.T) {
		c.sleep = c.migrationSleeper()
		r := c.ok(app("upgrade", "8", "--wait")...)
		c.golden("appliances-upgrade-wait.table", r.out)
		for _, step := range []string{"step 3/6 handling package: verifying package", "step 4/6 upgrading: installing package",
			"step 6/6 finish: installation complete (success)"} {
			if !strings.Contains(r.errOut, step) {
				t.Errorf("progress lacks %q:\n%s", step, r.errOut)
			}
		}
		c.golden("appliances-versions-8-after.json", c.ok(app("versions", "8", "-o", "json")...).out)
	})

	t.Run("conflicts and refusals", func(t *testing.T) {
		c.sleep = nil
		c.exit(ExitConflict, app("upgrade", "8")...)
		c.exit(ExitConflict, app("upgrade", "2")...)
		c.exit(ExitNotFound, app("versions", "99")...)
		c.exit(ExitNotFound, app("rollback", "99")...)
		c.exit(ExitUsage, app("versions", "eight")...)
		c.exit(ExitUsage, app("versions")...)
	})

	t.Run("rollback, then status", func(t *testing.T) {
		c.sleep = c.migrationSleeper()
		r := c.ok(app("rollback", "8", "--wait", "-o", "yaml")...)
		c.golden("appliances-rollback-wait.yaml", r.out)
		c.goldenFormats("appliances-status", app("status")...)
	})

	t.Run("a failed upgrade exits 1 with its final state", func(t *testing.T) {
		c.sleep = nil
		r := c.ok("appliances", "fail-next", "8", "--step", "3", "--message", "package signature verification failed", "--data-dir", c.env.DataDir)
		if !strings.Contains(r.out, "will fail at step 3") {
			t.Errorf("fail-next: %s", r.out)
		}
		r = c.ok("appliances", "local-list", "--data-dir", c.env.DataDir)
		if !strings.Contains(r.out, "FAIL NEXT AT STEP") {
			t.Errorf("local-list: %s", r.out)
		}
		c.sleep = c.migrationSleeper()
		r = c.exit(ExitFailure, app("upgrade", "8", "--wait", "-o", "json")...)
		var final []map[string]any
		if err := json.Unmarshal([]byte(r.out), &final); err != nil || len(final) != 1 || final[0]["result"] != "fail" ||
			!strings.Contains(final[0]["message"].(string), "package signature verification failed") {
			t.Fatalf("final status %s (%v)", r.out, err)
		}
		if !strings.Contains(r.errOut, `ended "fail" at step 3`) {
			t.Errorf("stderr: %s", r.errOut)
		}
		c.exit(ExitFailure, app("status", "8", "--wait")...)
		c.golden("appliances-versions-8-failed.table", c.ok(app("versions", "8")...).out)
	})

	t.Run("a started migration without --wait, then status --wait", func(t *testing.T) {
		c.sleep = nil
		r := c.ok(app("upgrade", "8", "-o", "json")...)
		if !strings.Contains(r.out, `"currentStep": 1`) || !strings.Contains(r.errOut, "upgrade of appliance 8 started") {
			t.Errorf("upgrade without --wait: %s %s", r.out, r.errOut)
		}
		c.exit(ExitTimeout, app("status", "8", "--wait", "--timeout", "1ns")...)
		c.sleep = c.migrationSleeper()
		c.tty = true
		r = c.ok(app("status", "--wait")...)
		c.tty = false
		if !strings.Contains(r.out, "installation complete") || !strings.Contains(r.errOut, "[############] appliance 8 upgrade: step 6/6") {
			t.Errorf("status --wait: %s\n%q", r.out, r.errOut)
		}
	})
}

// TestNetsecAuthFailure: a wrong key exits 4; the key is never printed.
func TestNetsecAuthFailure(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	c.setenv("RAMPART_API_KEY", "8:not-a-key-at-all")
	r := c.exit(ExitAuth, c.withCreds("appliances", "list")...)
	if !strings.Contains(r.errOut, "Invalid API Key") {
		t.Errorf("stderr: %s", r.errOut)
	}
	mustNotContain(t, r, "not-a-key-at-all", c.env.APISecret)
}
