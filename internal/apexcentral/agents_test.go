package apexcentral_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// listAgents is GET ProductAgents with query ("" for none).
func listAgents(t testing.TB, env *servertest.Env, query string) servertest.Response {
	t.Helper()
	target := agentsPath
	if query != "" {
		target += "?" + query
	}
	r := env.Call("GET", target, "", servertest.Token{})
	wantCode(t, r, 1)
	return r
}

// agentByHost returns one agent's record as GET ProductAgents shows it.
func agentByHost(t testing.TB, env *servertest.Env, host string) map[string]any {
	t.Helper()
	list := listAgents(t, env, "host_name="+host).Agents(t)
	if len(list) != 1 {
		t.Fatalf("%d agents named %s", len(list), host)
	}
	return list[0]
}

func statusOf(t testing.TB, env *servertest.Env, host string) string {
	t.Helper()
	s, _ := agentByHost(t, env, host)["isolation_status"].(string)
	return s
}

// act posts an agent action body.
func act(t testing.TB, env *servertest.Env, body string) servertest.Response {
	t.Helper()
	return env.Call("POST", agentsPath, body, servertest.Token{})
}

// wantUnchanged checks that the agent list is still before and that no
// agent has a command waiting.
func wantUnchanged(t testing.TB, env *servertest.Env, before []byte) {
	t.Helper()
	if after := listAgents(t, env, "").Content; !bytes.Equal(after, before) {
		t.Errorf("the agent list changed:\n got %s\nwant %s", after, before)
	}
	for _, id := range allAgentIDs {
		if cmds := checkIn(t, env, id); len(cmds) != 0 {
			t.Errorf("agent %s got commands %v", id, cmds)
		}
	}
}

func TestListAgentsGolden(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := listAgents(t, env, "")
	golden(t, "productagents.golden.json", r.Content)
	if got := hosts(t, r); !sameList(got, allAgentHosts) {
		t.Errorf("agents %v, want %v (client01 first, host8 last, as the seeds list them)", got, allAgentHosts)
	}
	for _, a := range r.Agents(t) {
		if _, ok := a["capabilities"].([]any); !ok {
			t.Errorf("%v: capabilities is not a list: %v", a["host_name"], a["capabilities"])
		}
		if a["isolation_status"] != "normal" && a["host_name"] != "host8" {
			t.Errorf("%v starts %v", a["host_name"], a["isolation_status"])
		}
	}
}

func TestListAgentsFilters(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	officeScan := []string{"client01", "client02", "client03", "OSCECLIENT"}
	cases := []struct {
		query string
		want  []string
	}{
		{"", allAgentHosts},
		{"entity_id=" + client02, []string{"client02"}},
		{"entity_id=" + strings.ToLower(client02), []string{"client02"}},
		{"entity_id=" + strings.ToUpper(osceClient), []string{"OSCECLIENT"}},
		{"entity_id=492E8584-0114-694D-BF9D-44CC2014150", nil},
		{"ip_address=10.1.1.3", []string{"client03"}},
		{"ip_address=192.168.121.132", []string{"OSCECLIENT"}},
		{"ip_address=10.1.1.30", nil},
		{"ip_address=10.1.1", nil},
		{"ip_address=192.168.121.131", nil}, // OSCESERVER's address
		{"mac_address=00-60-59-A4-70-2D", []string{"client01"}},
		{"mac_address=00:60:59:A4:70:2D", []string{"client01"}},
		{"mac_address=00:60:59:a4:70:2d", []string{"client01"}},
		{"mac_address=00-60-59-a4-70-2d", []string{"client01"}},
		{"mac_address=006059a4702d", []string{"client01"}},
		{"mac_address=00-0C-29-9B-AB-65", []string{"OSCECLIENT"}},
		{"mac_address=00:60:59:A4:70", nil},
		{"host_name=client01", []string{"client01"}},
		{"host_name=CLIENT01", []string{"client01"}},
		{"host_name=osceclient", []string{"OSCECLIENT"}},
		{"host_name=HOST8", []string{"host8"}},
		{"host_name=client", nil},
		{"product=SLF_PRODUCT_HEADLESS_DSM", []string{"host8"}},
		{"product=SLF_PRODUCT_OFFICESCAN_CE", officeScan},
		{"product=slf_product_officescan_ce", officeScan},
		{"managing_server_id=" + osceServer, []string{"client02", "client03", "OSCECLIENT"}},
		{"managing_server_id=" + strings.ToLower(osceServer), []string{"client02", "client03", "OSCECLIENT"}},
		{"managing_server_id=" + apexOne01, []string{"client01"}},
		{"managing_server_id=" + dsmServer, []string{"host8"}},
		{"managing_server_id=" + apexOne02, nil},
		{"product=SLF_PRODUCT_OFFICESCAN_CE&managing_server_id=" + osceServer + "&ip_address=10.1.1.2", []string{"client02"}},
		{"host_name=client01&managing_server_id=" + osceServer, nil},
		{"host_name=client01&mac_address=00-60-59-A4-70-2E", nil},
		{"host_name=nobody", nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := listAgents(t, env, tc.query)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("agents %v, want %v", got, tc.want)
			}
			if tc.want == nil && string(r.Content) != "[]" {
				t.Errorf("result_content %s, want [] (not null)", r.Content)
			}
		})
	}
}

func TestActOnAgentsRefused(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	before := listAgents(t, env, "").Content
	cases := []struct {
		name string
		body string
		code int
		desc []string
	}{
		// -21: not a JSON object.
		{"not JSON", `act=cmd_isolate_agent&host_name=client01`, -21, []string{"not a JSON object"}},
		{"empty body", ``, -21, []string{"empty"}},
		{"truncated JSON", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client01"`, -21, nil},
		{"a list", `[{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client01"}]`, -21, nil},
		{"a string", `"cmd_isolate_agent"`, -21, nil},
		{"a number", `5`, -21, nil},
		{"null", `null`, -21, nil},
		{"trailing data", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client01"} {}`, -21, []string{"after the JSON object"}},

		// -22: act.
		{"act missing", `{"allow_multiple_match": false, "host_name": "client01"}`, -22, []string{"(missing)"}},
		{"empty object", `{}`, -22, nil},
		{"act unknown", `{"act": "cmd_explode_agent", "allow_multiple_match": false, "host_name": "client01"}`, -22, []string{"cmd_explode_agent"}},
		{"act empty", `{"act": "", "allow_multiple_match": false, "host_name": "client01"}`, -22, nil},
		{"act a number", `{"act": 1, "allow_multiple_match": false, "host_name": "client01"}`, -22, nil},
		{"act null", `{"act": null, "allow_multiple_match": false, "host_name": "client01"}`, -22, nil},
		{"act of the servers resource", `{"act": "cmd_deploy_update_sources", "allow_multiple_match": false, "host_name": "client01"}`, -22, nil},
		{"bad act wins over bad fields", `{"act": "nope", "host_name": 5}`, -22, nil},

		// -21: fields.
		{"allow_multiple_match missing", `{"act": "cmd_isolate_agent", "host_name": "client01"}`, -21, []string{"allow_multiple_match is required"}},
		{"allow_multiple_match null", `{"act": "cmd_isolate_agent", "allow_multiple_match": null, "host_name": "client01"}`, -21, []string{"allow_multiple_match is required"}},
		{"allow_multiple_match yes", `{"act": "cmd_isolate_agent", "allow_multiple_match": "yes", "host_name": "client01"}`, -21, []string{`allow_multiple_match must be true or false`, `"yes"`}},
		{"allow_multiple_match 1", `{"act": "cmd_isolate_agent", "allow_multiple_match": 1, "host_name": "client01"}`, -21, []string{"allow_multiple_match must be true or false"}},
		{"host_name a number", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": 5}`, -21, []string{"host_name must be a string, got 5"}},
		{"entity_id a list", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "entity_id": ["` + client01 + `"]}`, -21, []string{"entity_id must be a string"}},
		{"ip_address an object", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "ip_address": {"v4": "10.1.1.1"}}`, -21, []string{"ip_address must be a string"}},
		{"mac_address true", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "mac_address": true}`, -21, []string{"mac_address must be a string"}},
		{"product a number", `{"act": "cmd_isolate_agent", "allow_multiple_match": true, "product": 7}`, -21, []string{"product must be a string"}},
		{"relocate_to_server_id a number", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", "relocate_to_server_id": 1, "relocate_to_folder_path": "x"}`, -21,
			[]string{"relocate_to_server_id must be a string"}},
		{"no criteria", `{"act": "cmd_isolate_agent", "allow_multiple_match": true}`, -21, []string{"at least one of"}},
		{"no criteria, every key empty as one public client sends", `{"act": "cmd_isolate_agent", "allow_multiple_match": true, "entity_id": "", "ip_address": "", ` +
			`"mac_address": "", "host_name": "", "product": "", "relocate_to_server_id": "", "relocate_to_folder_path": ""}`, -21, []string{"at least one of"}},
		{"no criteria, blanks and nulls", `{"act": "cmd_uninstall_agent", "allow_multiple_match": true, "entity_id": "  ", "host_name": null}`, -21, []string{"at least one of"}},
		{"only managing_server_id, which is no criterion here", `{"act": "cmd_isolate_agent", "allow_multiple_match": true, "managing_server_id": "` + osceServer + `"}`, -21, []string{"at least one of"}},
		{"relocate without folder path", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", "relocate_to_server_id": "` + osceServer + `"}`, -21,
			[]string{"relocate_to_folder_path is required"}},
		{"relocate with an empty folder path", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", "relocate_to_server_id": "` + osceServer + `", "relocate_to_folder_path": ""}`, -21,
			[]string{"relocate_to_folder_path is required"}},
		{"relocate without server id", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", "relocate_to_folder_path": "\\NewDomain\\NewFolder"}`, -21,
			[]string{"relocate_to_server_id is required"}},
		{"relocate with a blank server id", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", "relocate_to_server_id": " ", "relocate_to_folder_path": "x"}`, -21,
			[]string{"relocate_to_server_id is required"}},
		{"relocate with neither", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01"}`, -21, []string{"relocate_to_"}},

		// -102, -105, -107.
		{"isolate several without allow_multiple_match", `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "product": "SLF_PRODUCT_OFFICESCAN_CE"}`, -102, []string{"4 agents match"}},
		{"several by product in lower case, allow_multiple_match \"False\"", `{"act": "cmd_uninstall_agent", "allow_multiple_match": "False", "ip_address": ""` + `, "product": "slf_product_officescan_ce"}`, -102, nil},
		{"relocate several", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "managing_server_id": "", "product": "SLF_PRODUCT_OFFICESCAN_CE", ` +
			`"relocate_to_server_id": "` + apexOne02 + `", "relocate_to_folder_path": "x"}`, -102, nil},
		{"relocate to an unknown server", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", ` +
			`"relocate_to_server_id": "00000000-0000-0000-0000-000000000000", "relocate_to_folder_path": "\\NewDomain\\NewFolder"}`, -105, nil},
		{"relocate to an agent's id", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", ` +
			`"relocate_to_server_id": "` + client02 + `", "relocate_to_folder_path": "x"}`, -105, nil},
		{"relocate an OfficeScan agent to the DSM server", `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client01", ` +
			`"relocate_to_server_id": "` + dsmServer + `", "relocate_to_folder_path": "\\NewDomain\\NewFolder"}`, -107, []string{dsmServer, "SLF_PRODUCT_HEADLESS_DSM"}},
		{"relocate every OfficeScan agent to the DSM server", `{"act": "cmd_relocate_agent", "allow_multiple_match": true, "product": "SLF_PRODUCT_OFFICESCAN_CE", ` +
			`"relocate_to_server_id": "` + dsmServer + `", "relocate_to_folder_path": "x"}`, -107, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := act(t, env, tc.body)
			wantCode(t, r, tc.code)
			wantDescription(t, r, tc.desc...)
		})
	}
	wantUnchanged(t, env, before)
}

// TestActOnAgentsAllowMultipleMatchForms: documented as "String
// True/False", sent as a JSON boolean by every example.
func TestActOnAgentsAllowMultipleMatchForms(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	before := listAgents(t, env, "").Content
	officeScan := []string{"client01", "client02", "client03", "OSCECLIENT"}
	cases := []struct {
		value string // raw JSON
		code  int
	}{
		{`true`, 1}, {`"True"`, 1}, {`"true"`, 1}, {`"TRUE"`, 1}, {`" True "`, 1},
		{`false`, -102}, {`"False"`, -102}, {`"false"`, -102},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			// Restoring normal agents changes nothing and queues nothing.
			r := act(t, env, `{"act": "cmd_restore_isolated_agent", "allow_multiple_match": `+tc.value+`, "product": "SLF_PRODUCT_OFFICESCAN_CE"}`)
			wantCode(t, r, tc.code)
			if tc.code == 1 {
				if got := hosts(t, r); !sameList(got, officeScan) {
					t.Errorf("acted on %v, want %v", got, officeScan)
				}
			}
		})
	}
	t.Run("false with a single match", func(t *testing.T) {
		r := act(t, env, `{"act": "cmd_restore_isolated_agent", "allow_multiple_match": "false", "host_name": "client01"}`)
		wantCode(t, r, 1)
		if got := hosts(t, r); !sameList(got, []string{"client01"}) {
			t.Errorf("acted on %v", got)
		}
	})
	t.Run("false with no match", func(t *testing.T) {
		r := act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "nobody"}`)
		wantCode(t, r, 1)
		if string(r.Content) != "[]" {
			t.Errorf("result_content %s, want []", r.Content)
		}
	})
	wantUnchanged(t, env, before)
}

// TestActOnAgentsMultipleMatchChangesNothing: -102 for every action, and
// nothing moves.
func TestActOnAgentsMultipleMatchChangesNothing(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	before := listAgents(t, env, "").Content
	for _, a := range []string{"cmd_isolate_agent", "cmd_restore_isolated_agent", "cmd_uninstall_agent", "cmd_relocate_agent"} {
		t.Run(a, func(t *testing.T) {
			r := act(t, env, `{"act": "`+a+`", "allow_multiple_match": false, "product": "SLF_PRODUCT_OFFICESCAN_CE", `+
				`"relocate_to_server_id": "`+apexOne02+`", "relocate_to_folder_path": "\\NewDomain"}`)
			wantCode(t, r, -102)
		})
	}
	for _, a := range listAgents(t, env, "").Agents(t) {
		want := "normal"
		if a["host_name"] == "host8" {
			want = "not_supported"
		}
		if a["isolation_status"] != want {
			t.Errorf("%v is %v", a["host_name"], a["isolation_status"])
		}
	}
	wantUnchanged(t, env, before)
}

// TestActOnAgentsIncapable: host8 has no capabilities; seeds: "if
// result_code is 1 and result_content is an empty array, the request was
// successful but the agent cannot be isolated".
func TestActOnAgentsIncapable(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	before := listAgents(t, env, "").Content
	for _, body := range []string{
		`{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "host8"}`,
		`{"act": "cmd_restore_isolated_agent", "allow_multiple_match": false, "entity_id": "` + host8 + `"}`,
		`{"act": "cmd_uninstall_agent", "allow_multiple_match": false, "ip_address": "100.1.1.10"}`,
		`{"act": "cmd_relocate_agent", "allow_multiple_match": false, "mac_address": "00:50:56:a7:69:10", "relocate_to_server_id": "` + dsmServer + `", "relocate_to_folder_path": "x"}`,
		`{"act": "cmd_relocate_agent", "allow_multiple_match": "True", "product": "SLF_PRODUCT_HEADLESS_DSM", "relocate_to_server_id": "` + osceServer + `", "relocate_to_folder_path": "x"}`,
	} {
		t.Run(body, func(t *testing.T) {
			r := act(t, env, body)
			wantCode(t, r, 1)
			if string(r.Content) != "[]" {
				t.Errorf("result_content %s, want []", r.Content)
			}
		})
	}
	if s := statusOf(t, env, "host8"); s != "not_supported" {
		t.Errorf("host8 is %s", s)
	}
	wantUnchanged(t, env, before)
}

func TestActOnAgentsIsolateAndRestoreAnswers(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": true, "managing_server_id": "", "ip_address": "10.1.1.2"}`)
	wantCode(t, r, 1)
	got := r.Agents(t)
	if len(got) != 1 || got[0]["host_name"] != "client02" || got[0]["isolation_status"] != "endpoint_isolation_pending" {
		t.Fatalf("result_content %s, want client02 endpoint_isolation_pending", r.Content)
	}
	// The answer is the record as the list now shows it.
	if list := listAgents(t, env, "host_name=client02").Content; !bytes.Equal(list, r.Content) {
		t.Errorf("list %s, answer %s", list, r.Content)
	}
	// Isolating again queues nothing more.
	r = act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client02"}`)
	wantCode(t, r, 1)
	if got := r.Agents(t); len(got) != 1 || got[0]["isolation_status"] != "endpoint_isolation_pending" {
		t.Errorf("result_content %s", r.Content)
	}
	if cmds := checkIn(t, env, client02); len(cmds) != 1 || cmds[0].Kind != "isolate" {
		t.Errorf("client02 got %v, want one isolate", cmds)
	}
	// Restoring a normal agent changes nothing and queues nothing.
	r = act(t, env, `{"act": "cmd_restore_isolated_agent", "allow_multiple_match": false, "host_name": "client01"}`)
	wantCode(t, r, 1)
	if got := r.Agents(t); len(got) != 1 || got[0]["isolation_status"] != "normal" {
		t.Errorf("result_content %s", r.Content)
	}
	if cmds := checkIn(t, env, client01); len(cmds) != 0 {
		t.Errorf("client01 got %v", cmds)
	}
}

// TestActOnAgentsIsolateIsolatedQueuesNothing: an isolated agent asked to
// isolate again stays isolated and gets no command.
func TestActOnAgentsIsolateIsolatedQueuesNothing(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	wantCode(t, act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client01"}`), 1)
	settle(t, env, client01, "isolate", true)
	if s := statusOf(t, env, "client01"); s != "isolated" {
		t.Fatalf("client01 is %s, want isolated", s)
	}
	r := act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "entity_id": "`+client01+`"}`)
	wantCode(t, r, 1)
	if got := r.Agents(t); len(got) != 1 || got[0]["isolation_status"] != "isolated" {
		t.Errorf("result_content %s, want client01 isolated", r.Content)
	}
	if cmds := checkIn(t, env, client01); len(cmds) != 0 {
		t.Errorf("client01 got %v", cmds)
	}
	if s := statusOf(t, env, "client01"); s != "isolated" {
		t.Errorf("client01 is %s, want isolated", s)
	}
}

func TestActOnAgentsRelocate(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	// Seed 001's request: agent [0] to server [0], allow_multiple_match True.
	body := `{"act": "cmd_relocate_agent", "allow_multiple_match": true, "entity_id": "` + client01 + `", ` +
		`"relocate_to_folder_path": "\\NewDomain\\NewFolder", "relocate_to_server_id": "` + strings.ToLower(osceServer) + `"}`
	r := act(t, env, body)
	wantCode(t, r, 1)
	got := r.Agents(t)
	if len(got) != 1 {
		t.Fatalf("result_content %s, want client01", r.Content)
	}
	if got[0]["managing_server_id"] != osceServer || got[0]["folder_path"] != `\NewDomain\NewFolder` || got[0]["entity_id"] != client01 {
		t.Errorf("relocated record %v, want managing_server_id %s and folder_path \\NewDomain\\NewFolder", got[0], osceServer)
	}
	if list := listAgents(t, env, "host_name=client01").Content; !bytes.Equal(list, r.Content) {
		t.Errorf("list %s, answer %s", list, r.Content)
	}
	if hs := hosts(t, listAgents(t, env, "managing_server_id="+osceServer)); !sameList(hs, []string{"client01", "client02", "client03", "OSCECLIENT"}) {
		t.Errorf("OSCESERVER now manages %v", hs)
	}
	if hs := hosts(t, listAgents(t, env, "managing_server_id="+apexOne01)); len(hs) != 0 {
		t.Errorf("ApexOne01 still manages %v", hs)
	}
	// Relocating to a server without capabilities but of the same product is fine.
	r = act(t, env, `{"act": "cmd_relocate_agent", "allow_multiple_match": false, "host_name": "client03", "relocate_to_server_id": "`+apexOne02+`", "relocate_to_folder_path": "Lab"}`)
	wantCode(t, r, 1)
	if got := r.Agents(t); len(got) != 1 || got[0]["managing_server_id"] != apexOne02 || got[0]["folder_path"] != "Lab" {
		t.Errorf("result_content %s", r.Content)
	}
}

func TestActOnAgentsUninstall(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := act(t, env, `{"act": "cmd_uninstall_agent", "allow_multiple_match": false, "host_name": "client03"}`)
	wantCode(t, r, 1)
	if got := hosts(t, r); !sameList(got, []string{"client03"}) {
		t.Fatalf("result_content %s, want client03", r.Content)
	}
	// Listed until the agent reports the uninstall done.
	if got := hosts(t, listAgents(t, env, "")); !sameList(got, allAgentHosts) {
		t.Errorf("agents %v", got)
	}
	// An agent being uninstalled is acted on no more.
	for _, a := range []string{"cmd_uninstall_agent", "cmd_isolate_agent"} {
		r = act(t, env, `{"act": "`+a+`", "allow_multiple_match": false, "host_name": "client03"}`)
		wantCode(t, r, 1)
		if string(r.Content) != "[]" {
			t.Errorf("%s: result_content %s, want []", a, r.Content)
		}
	}
	if cmds := checkIn(t, env, client03); len(cmds) != 1 || cmds[0].Kind != "uninstall" {
		t.Errorf("client03 got %v, want one uninstall", cmds)
	}
}
