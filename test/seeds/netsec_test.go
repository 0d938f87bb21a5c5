package seeds_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeed004 runs the Network Security tutorial's curl/jq commands against
// a real `rampart serve --demo`: list appliances, query versions, upgrade,
// poll to finish/success, see upToDate with a rollback offered, roll back,
// poll to rollback complete.
func TestSeed004(t *testing.T) {
	requireTools(t, "curl", "jq", "bash")
	r := start(t, "--migration-step", "600ms")
	script, err := filepath.Abs("seed004.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "RAMPART_URL="+r.url, "RAMPART_SECRET="+r.apiSecret)
	raw, err := cmd.CombinedOutput()
	out := string(raw)
	if err != nil {
		t.Fatalf("seed004.sh: %v\n%s", err, out)
	}
	mustContain(t, out,
		"{\n  \"ID\": 2,\n  \"instanceId\": \"i-053cced65fea28c18\"\n}\n{\n  \"ID\": 8,\n  \"instanceId\": \"i-0e7b568dd0f88d0c1\"\n}",
		`{"baseVersion":"2021.3.0.10968","state":"outOfDate","permission":"write","upgrade":"2021.4.1.10996","rollback":null}`,
		"upgrade: 202",
		`"state":"handling package","result":"","message":"verifying package"`,
		`"currentStep":6,"totalSteps":6,"state":"finish","result":"success","message":"installation complete"`,
		`{"baseVersion":"2021.4.1.10996","state":"upToDate","permission":"write","upgrade":null,"rollback":"2021.3.0.10968"}`,
		"rollback: 202",
		`"action":"rollback","currentStep":3,"totalSteps":4,"state":"rollback","result":"","message":"rollback software"`,
		`"state":"finish","result":"success","message":"rollback complete"`,
	)
	if !strings.HasSuffix(strings.TrimSpace(out), `{"baseVersion":"2021.3.0.10968","state":"outOfDate","permission":"write","upgrade":"2021.4.1.10996","rollback":null}`) {
		t.Errorf("after the rollback the versions are not back to the start:\n%s", out)
	}
}

type migrationStatus struct {
	Step   int    `json:"currentStep"`
	State  string `json:"state"`
	Result string `json:"result"`
}

func (r *rampart) netsec(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "ApiKey "+r.apiSecret)
	req.Header.Set("api-version", "v1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (r *rampart) status(t *testing.T) migrationStatus {
	t.Helper()
	code, raw := r.netsec(t, "GET", "/api/appliancemigrations?applianceIds=8", "")
	var out struct {
		Statuses []migrationStatus `json:"statuses"`
	}
	if code != 200 || json.Unmarshal(raw, &out) != nil || len(out.Statuses) != 1 {
		t.Fatalf("status: %d %s", code, raw)
	}
	return out.Statuses[0]
}

// TestMigrationSurvivesKill starts an upgrade, kills the server with
// SIGKILL mid-way, starts it again on the same data directory and sees the
// migration resume from its persisted step and finish, exactly once.
func TestMigrationSurvivesKill(t *testing.T) {
	r := &rampart{bin: build(t), dataDir: filepath.Join(t.TempDir(), "data")}
	kill := r.launch(t, "--migration-step", "700ms")
	if code, raw := r.netsec(t, "POST", "/api/appliancemigrations", `{"action": "upgrade", "applianceId": 8}`); code != 202 || len(raw) != 0 {
		t.Fatalf("upgrade: %d %q", code, raw)
	}
	var before migrationStatus
	waitFor(t, "step 3", func() (bool, string) {
		before = r.status(t)
		return before.Step >= 3, before.State
	})
	kill()
	if before.Result != "" {
		t.Fatalf("finished before the kill: %+v", before)
	}

	r.launch(t, "--migration-step", "700ms")
	after := r.status(t)
	if after.Step < before.Step {
		t.Fatalf("step went back from %d to %d after the restart", before.Step, after.Step)
	}
	last := after.Step
	waitFor(t, "the resumed migration to finish", func() (bool, string) {
		st := r.status(t)
		if st.Step < last {
			t.Fatalf("step went back from %d to %d", last, st.Step)
		}
		last = st.Step
		return st.Result != "", st.State
	})
	final := r.status(t)
	if final.Result != "success" || final.Step != 6 || final.State != "finish" {
		t.Fatalf("final status %+v", final)
	}
	code, raw := r.netsec(t, "GET", "/api/migrationversions?applianceId=8", "")
	if code != 200 || !strings.Contains(string(raw), `"baseVersion":"2021.4.1.10996","state":"upToDate"`) {
		t.Fatalf("versions after the resumed upgrade: %d %s", code, raw)
	}
}

// TestMigrationFailureInjection makes the next upgrade fail at step 3 with
// `rampart appliances fail-next` and sees it end in failure on the version
// the appliance had.
func TestMigrationFailureInjection(t *testing.T) {
	r := start(t, "--migration-step", "200ms")
	out, err := exec.Command(r.bin, "appliances", "fail-next", "8", "--step", "3", "--message", "package signature verification failed", "--data-dir", r.dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("fail-next: %v\n%s", err, out)
	}
	if code, raw := r.netsec(t, "POST", "/api/appliancemigrations", `{"action": "upgrade", "applianceId": 8}`); code != 202 {
		t.Fatalf("upgrade: %d %s", code, raw)
	}
	waitFor(t, "the migration to end", func() (bool, string) {
		st := r.status(t)
		return st.Result != "", st.State
	})
	_, raw := r.netsec(t, "GET", "/api/appliancemigrations?applianceIds=8", "")
	for _, want := range []string{`"result":"fail"`, `"state":"finish"`, "package signature verification failed", "2021.3.0.10968"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("failed status lacks %q: %s", want, raw)
		}
	}
	_, raw = r.netsec(t, "GET", "/api/migrationversions?applianceId=8", "")
	if !strings.Contains(string(raw), `{"baseVersion":"2021.3.0.10968","state":"outOfDate","permission":"write","upgrade":"2021.4.1.10996","rollback":null}`) {
		t.Fatalf("versions after the failed upgrade: %s", raw)
	}
	// The injection was consumed: the next upgrade succeeds.
	if code, raw := r.netsec(t, "POST", "/api/appliancemigrations", `{"action": "upgrade", "applianceId": 8}`); code != 202 {
		t.Fatalf("second upgrade: %d %s", code, raw)
	}
	waitFor(t, "the second migration to end", func() (bool, string) {
		st := r.status(t)
		return st.Result == "success", st.Result
	})
}
