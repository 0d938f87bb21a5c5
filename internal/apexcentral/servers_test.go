package apexcentral_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the server's answers")

// golden compares result_content, re-indented, with testdata/name byte for
// byte, or rewrites the file under -update.
func golden(t *testing.T, name string, content json.RawMessage) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, content, "", "  "); err != nil {
		t.Fatalf("result_content is not JSON: %v: %s", err, content)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("result_content differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, buf.Bytes(), want)
	}
}

func TestListServersGolden(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := env.Call("GET", serversPath, "", servertest.Token{})
	wantCode(t, r, 1)
	golden(t, "productservers.golden.json", r.Content)
	got := hosts(t, r)
	if !sameList(got, allServerHosts) {
		t.Errorf("servers %v, want %v (OSCESERVER first, ApexOne02 last, as seed 000 lists them)", got, allServerHosts)
	}
	// ip_address_list is one comma-joined string; capabilities a list, [] when none.
	for _, s := range r.Agents(t) {
		if _, ok := s["ip_address_list"].(string); !ok {
			t.Errorf("%v: ip_address_list is not a string", s["host_name"])
		}
		if _, ok := s["capabilities"].([]any); !ok {
			t.Errorf("%v: capabilities is not a list: %v", s["host_name"], s["capabilities"])
		}
	}
}

func TestListServersFilters(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"", allServerHosts},
		{"entity_id=" + osceServer, []string{"OSCESERVER"}},
		{"entity_id=" + strings.ToLower(apexOne02), []string{"ApexOne02"}},
		{"entity_id=026332F39EBC", nil},
		{"ip_address=192.168.121.131", []string{"OSCESERVER"}},
		{"ip_address=fe80::8846:d1ac:8ee1:85ce", []string{"OSCESERVER"}},
		{"ip_address=FE80::8846:D1AC:8EE1:85CE", []string{"OSCESERVER"}},
		{"ip_address=fe80:0:0:0:8846:d1ac:8ee1:85ce", []string{"OSCESERVER"}},
		{"ip_address=10.1.0.10", []string{"ApexOne01"}},
		{"ip_address=10.1.173.66", []string{"ApexOne02"}},
		{"ip_address=fd96:7568:9882:6:245c:df6c:8ec9:e527", []string{"ApexOne02"}},
		{"ip_address=fe80::593b:3e05:5967:1afa", []string{"ApexOne02"}},
		{"ip_address=192.168.121", nil},
		{"ip_address=192.168.121.131,fe80::8846:d1ac:8ee1:85ce", nil},
		{"ip_address=10.1.1.1", nil}, // an agent's address, not a server's
		{"host_name=OSCESERVER", []string{"OSCESERVER"}},
		{"host_name=osceserver", []string{"OSCESERVER"}},
		{"host_name=APEXONE02", []string{"ApexOne02"}},
		{"host_name=ApexOne", nil},
		{"product=SLF_PRODUCT_HEADLESS_DSM", []string{"dsm01"}},
		{"product=SLF_PRODUCT_OFFICESCAN_CE", []string{"OSCESERVER", "ApexOne01", "ApexOne02"}},
		{"product=slf_product_officescan_ce", []string{"OSCESERVER", "ApexOne01", "ApexOne02"}},
		{"mac_address=00-0C-29-1E-4B-11", []string{"ApexOne01"}},
		{"mac_address=00:0c:29:1e:4b:11", []string{"ApexOne01"}},
		{"product=SLF_PRODUCT_OFFICESCAN_CE&host_name=apexone01", []string{"ApexOne01"}},
		{"product=SLF_PRODUCT_HEADLESS_DSM&host_name=ApexOne01", nil},
		{"ip_address=10.1.173.66&product=SLF_PRODUCT_OFFICESCAN_CE&host_name=ApexOne02&entity_id=" + apexOne02, []string{"ApexOne02"}},
		{"ip_address=10.1.173.66&entity_id=" + osceServer, nil},
		{"host_name=nobody", nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			target := serversPath
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := env.Call("GET", target, "", servertest.Token{})
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("servers %v, want %v", got, tc.want)
			}
			if tc.want == nil && string(r.Content) != "[]" {
				t.Errorf("result_content %s, want [] (not null)", r.Content)
			}
		})
	}
}

// ousEntry builds one OUSList entry the way seed 000 does: the inner
// object as a JSON string (json.dumps).
func ousEntry(kind string, inner map[string]any) map[string]any {
	data, err := json.Marshal(inner)
	if err != nil {
		panic(err)
	}
	return map[string]any{"OUSSettingType": kind, "OUSSettingJSONString": string(data)}
}

func ipv4Entry(from, to, ous string) map[string]any {
	return ousEntry("IPv4", map[string]any{"FromIP": from, "ToIP": to, "OUS": ous})
}

// settingsJSON returns setting_data_JSON_string in its JSON form with all
// three fall-back flags on.
func settingsJSON(allow int, entries ...map[string]any) string {
	list := []any{}
	for _, e := range entries {
		list = append(list, e)
	}
	data, err := json.Marshal(map[string]any{
		"AllowUpdateFromOtherAU": allow, "UpdateComponentFromServerIfOUSFailed": 1,
		"UpdateSettingFromServerIfOUSFailed": 1, "UpdateProgramFromServerIfOUSFailed": 1, "OUSList": list,
	})
	if err != nil {
		panic(err)
	}
	return string(data)
}

// deployBody is the POST ProductServers body carrying settings (a string).
func deployBody(entityID, settings string) string {
	return `{"entity_id": ` + jsonString(entityID) + `, "act": "cmd_deploy_update_sources", "setting_data_JSON_string": ` + jsonString(settings) + `}`
}

// jsonString encodes s as Python's json.dumps does (no HTML escaping).
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// pyStr is Python's repr() of a string holding no single quote,
// backslash or control character: the text in single quotes.
func pyStr(s string) string {
	if strings.ContainsAny(s, "'\\\n\r\t") {
		panic("pyStr: " + s)
	}
	return "'" + s + "'"
}

// seed000Settings is setting_data_JSON_string exactly as seed 000 builds
// it: str() of a dict whose OUSSettingJSONString is json.dumps() of the
// inner dict. Python prints the dict with single quotes, ": " and ", ", and
// the inner JSON string (which holds double quotes only) in single quotes.
func seed000Settings(from, to, ous string) string {
	inner := `{"FromIP": "` + from + `", "ToIP": "` + to + `", "OUS": "` + ous + `"}`
	return `{'AllowUpdateFromOtherAU': 1, 'UpdateComponentFromServerIfOUSFailed': 1, 'UpdateSettingFromServerIfOUSFailed': 1, ` +
		`'UpdateProgramFromServerIfOUSFailed': 1, 'OUSList': [{'OUSSettingType': 'IPv4', 'OUSSettingJSONString': ` + pyStr(inner) + `}]}`
}

// seed000Body is what CPython 3 printed for seed 000's payload with the
// demo fleet's values: json.dumps({"entity_id": ..., "act": ...,
// "setting_data_JSON_string": str(setting_data_JSON_string)}).
const seed000Body = `{"entity_id": "026332F39EBC-41C19604-02DD-2C5F-EDE5", "act": "cmd_deploy_update_sources", "setting_data_JSON_string": "{'AllowUpdateFromOtherAU': 1, 'UpdateComponentFromServerIfOUSFailed': 1, 'UpdateSettingFromServerIfOUSFailed': 1, 'UpdateProgramFromServerIfOUSFailed': 1, 'OUSList': [{'OUSSettingType': 'IPv4', 'OUSSettingJSONString': '{\"FromIP\": \"10.1.1.2\", \"ToIP\": \"100.1.1.10\", \"OUS\": \"http://10.1.1.1:21112/activeupdate\"}'}]}"}`

// serverSettings reads a server's deployed update-source configuration
// straight from the fleet.
func serverSettings(t testing.TB, env *servertest.Env, id string) *fleet.UpdateSourceSettings {
	t.Helper()
	servers, err := env.Server.Fleet.Servers(ctx, fleet.ServerFilter{EntityID: id})
	if err != nil || len(servers) != 1 {
		t.Fatalf("reading server %s: %v (%d found)", id, err, len(servers))
	}
	return servers[0].UpdateSources
}

func describeSettings(s *fleet.UpdateSourceSettings) string {
	if s == nil {
		return "<none>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "allow=%v component=%v setting=%v program=%v", s.AllowUpdateFromOtherAU,
		s.UpdateComponentFromServerIfOUSFailed, s.UpdateSettingFromServerIfOUSFailed, s.UpdateProgramFromServerIfOUSFailed)
	for _, src := range s.Sources {
		switch {
		case src.Range != nil:
			fmt.Fprintf(&b, " [%s-%s %s]", src.Range.From, src.Range.To, src.OUS)
		case src.Prefix != nil:
			fmt.Fprintf(&b, " [%s %s]", src.Prefix, src.OUS)
		}
	}
	return b.String()
}

func wantSettings(t testing.TB, env *servertest.Env, id string, want *fleet.UpdateSourceSettings) {
	t.Helper()
	got := serverSettings(t, env, id)
	if describeSettings(got) != describeSettings(want) || (got == nil) != (want == nil) {
		t.Errorf("server %s update sources:\n got %s\nwant %s", id, describeSettings(got), describeSettings(want))
	}
}

func rangeSource(from, to, ous string) fleet.UpdateSource {
	return fleet.UpdateSource{Range: &fleet.AddrRange{From: netip.MustParseAddr(from), To: netip.MustParseAddr(to)}, OUS: ous}
}

func allFlags(sources ...fleet.UpdateSource) *fleet.UpdateSourceSettings {
	return &fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, UpdateComponentFromServerIfOUSFailed: true,
		UpdateSettingFromServerIfOUSFailed: true, UpdateProgramFromServerIfOUSFailed: true, Sources: sources}
}

// firstServer is OSCESERVER's entry as GET ProductServers shows it.
func firstServer(t testing.TB, env *servertest.Env) json.RawMessage {
	t.Helper()
	r := env.Call("GET", serversPath+"?entity_id="+osceServer, "", servertest.Token{})
	wantCode(t, r, 1)
	return r.Content
}

func TestDeployUpdateSourcesSeed000PythonLiteral(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	// Seed 000 picks its values from the lists exactly so.
	servers := env.Call("GET", serversPath, "", servertest.Token{}).Agents(t)
	agents := env.Call("GET", agentsPath, "", servertest.Token{}).Agents(t)
	serverGUID := servers[0]["entity_id"].(string)
	from := agents[1]["ip_address_list"].(string)
	to := agents[len(agents)-1]["ip_address_list"].(string)
	ous := "http://" + agents[0]["ip_address_list"].(string) + ":21112/activeupdate"

	body := deployBody(serverGUID, seed000Settings(from, to, ous))
	if body != seed000Body {
		t.Fatalf("the Go rendering of seed 000's body differs from what Python prints:\n got %s\nwant %s", body, seed000Body)
	}
	r := env.Call("POST", serversPath, body, servertest.Token{IAT: float64(env.Clock.Now().Unix()) + 0.25})
	wantCode(t, r, 1)
	if want := firstServer(t, env); !bytes.Equal(r.Content, want) {
		t.Errorf("result_content %s, want the server record as listed: %s", r.Content, want)
	}
	wantSettings(t, env, osceServer, allFlags(rangeSource("10.1.1.2", "100.1.1.10", "http://10.1.1.1:21112/activeupdate")))
}

func TestDeployUpdateSourcesAccepted(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		name     string
		settings string
		want     *fleet.UpdateSourceSettings
	}{
		{"JSON form", settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/activeupdate")),
			allFlags(rangeSource("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/activeupdate"))},
		{"JSON form, two entries, https", settingsJSON(1,
			ipv4Entry("10.1.1.1", "10.1.1.1", "https://au1.example.com/activeupdate"),
			ipv4Entry("192.168.121.0", "192.168.121.255", "http://192.168.121.1:8080/au")),
			allFlags(rangeSource("10.1.1.1", "10.1.1.1", "https://au1.example.com/activeupdate"),
				rangeSource("192.168.121.0", "192.168.121.255", "http://192.168.121.1:8080/au"))},
		{"IPv6 entry with Prefix and Length", settingsJSON(1,
			ousEntry("IPv6", map[string]any{"Prefix": "fd96:7568:9882:6::", "Length": 64, "OUS": "http://[fd96:7568:9882:6::1]:21112/activeupdate"})),
			allFlags(fleet.UpdateSource{Prefix: ptr(netip.MustParsePrefix("fd96:7568:9882:6::/64")), OUS: "http://[fd96:7568:9882:6::1]:21112/activeupdate"})},
		{"IPv6 Length as a string, address masked", settingsJSON(1,
			ousEntry("IPv6", map[string]any{"Prefix": "fe80::8846:d1ac:8ee1:85ce", "Length": "10", "OUS": "http://au6.example.com/au"})),
			allFlags(fleet.UpdateSource{Prefix: ptr(netip.MustParsePrefix("fe80::/10")), OUS: "http://au6.example.com/au"})},
		{"IPv6 Length 1 and 128", settingsJSON(1,
			ousEntry("IPv6", map[string]any{"Prefix": "8000::", "Length": 1, "OUS": "http://a.example/"}),
			ousEntry("IPv6", map[string]any{"Prefix": "fd96::1", "Length": 128, "OUS": "http://b.example/"})),
			allFlags(fleet.UpdateSource{Prefix: ptr(netip.MustParsePrefix("8000::/1")), OUS: "http://a.example/"},
				fleet.UpdateSource{Prefix: ptr(netip.MustParsePrefix("fd96::1/128")), OUS: "http://b.example/"})},
		{"Python literal with True, False and None", `{'AllowUpdateFromOtherAU': 0, 'UpdateComponentFromServerIfOUSFailed': True, ` +
			`'UpdateSettingFromServerIfOUSFailed': False, 'UpdateProgramFromServerIfOUSFailed': 1, 'OUSList': None}`,
			&fleet.UpdateSourceSettings{UpdateComponentFromServerIfOUSFailed: true, UpdateProgramFromServerIfOUSFailed: true}},
		{"Python literal, inner object in double quotes with escapes", `{'AllowUpdateFromOtherAU': 1, 'OUSList': [{'OUSSettingType': 'IPv4', ` +
			`'OUSSettingJSONString': "{\"FromIP\": \"10.1.1.1\", 'ToIP': '10.1.1.9', \"OUS\": \"http://au.example/\x41U\"}"}]}`,
			&fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: []fleet.UpdateSource{rangeSource("10.1.1.1", "10.1.1.9", "http://au.example/AU")}}},
		{"JSON, inner object given directly", `{"AllowUpdateFromOtherAU": 1, "OUSList": [{"OUSSettingType": "IPv4", ` +
			`"OUSSettingJSONString": {"FromIP": "10.1.1.1", "ToIP": "10.1.1.9", "OUS": "http://au.example/"}}]}`,
			&fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: []fleet.UpdateSource{rangeSource("10.1.1.1", "10.1.1.9", "http://au.example/")}}},
		{"the Apex One server itself", `{"AllowUpdateFromOtherAU": 0}`, &fleet.UpdateSourceSettings{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Call("POST", serversPath, deployBody(osceServer, tc.settings), servertest.Token{})
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, []string{"OSCESERVER"}) {
				t.Errorf("result_content %s, want the OSCESERVER record", r.Content)
			}
			wantSettings(t, env, osceServer, tc.want)
		})
	}
	t.Run("entity_id case-insensitive", func(t *testing.T) {
		r := env.Call("POST", serversPath, deployBody(strings.ToLower(apexOne01), settingsJSON(0)), servertest.Token{})
		wantCode(t, r, 1)
		if got := r.Agents(t); len(got) != 1 || got[0]["entity_id"] != apexOne01 {
			t.Errorf("result_content %s, want ApexOne01's record", r.Content)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestDeployUpdateSourcesIncapable: seed 000's note: result_code 1 and an
// empty result_content when the server cannot deploy through the API.
func TestDeployUpdateSourcesIncapable(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	for _, id := range []string{apexOne02, dsmServer} {
		t.Run(id, func(t *testing.T) {
			r := env.Call("POST", serversPath, deployBody(id, settingsJSON(1, ipv4Entry("10.1.1.1", "100.1.1.10", "http://10.1.1.1:21112/activeupdate"))), servertest.Token{})
			wantCode(t, r, 1)
			if string(r.Content) != "[]" {
				t.Errorf("result_content %s, want []", r.Content)
			}
			wantSettings(t, env, id, nil)
		})
	}
	for _, id := range allAgentIDs {
		if cmds := checkIn(t, env, id); len(cmds) != 0 {
			t.Errorf("agent %s got %v", id, cmds)
		}
	}
}

func TestDeployUpdateSourcesRefused(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	baseline := allFlags(rangeSource("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/activeupdate"))
	wantCode(t, env.Call("POST", serversPath, deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/activeupdate"))), servertest.Token{}), 1)
	wantSettings(t, env, osceServer, baseline)
	// The baseline queued update_source for client02 and client03: collect
	// them so that the refusals below can be checked to queue nothing.
	for _, id := range allAgentIDs {
		checkIn(t, env, id)
	}

	good := ipv4Entry("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/other")
	v6 := func(inner map[string]any) string { return settingsJSON(1, ousEntry("IPv6", inner)) }
	cases := []struct {
		name string
		body string
		code int
		desc []string // parts of result_description
	}{
		// -22: act.
		{"act missing", `{"entity_id": "` + osceServer + `", "setting_data_JSON_string": "{}"}`, -22, []string{"cmd_deploy_update_sources"}},
		{"act another command", strings.Replace(deployBody(osceServer, settingsJSON(0)), "cmd_deploy_update_sources", "cmd_isolate_agent", 1), -22, []string{"cmd_isolate_agent"}},
		{"act empty", strings.Replace(deployBody(osceServer, settingsJSON(0)), `"cmd_deploy_update_sources"`, `""`, 1), -22, nil},
		{"act a number", strings.Replace(deployBody(osceServer, settingsJSON(0)), `"cmd_deploy_update_sources"`, `5`, 1), -22, nil},

		// -105: server.
		{"unknown entity_id", deployBody("00000000-0000-0000-0000-000000000000", settingsJSON(1, good)), -105, nil},
		{"an agent's entity_id", deployBody(client02, settingsJSON(1, good)), -105, nil},

		// -21: the body.
		{"body not JSON", `entity_id=` + osceServer, -21, []string{"JSON object"}},
		{"body empty", ``, -21, []string{"empty"}},
		{"body a list", `[` + deployBody(osceServer, settingsJSON(1, good)) + `]`, -21, []string{"JSON object"}},
		{"body null", `null`, -21, nil},
		{"entity_id missing", `{"act": "cmd_deploy_update_sources", "setting_data_JSON_string": "{}"}`, -21, []string{"entity_id"}},
		{"entity_id a number", `{"entity_id": 5, "act": "cmd_deploy_update_sources", "setting_data_JSON_string": "{}"}`, -21, []string{"entity_id"}},
		{"setting_data_JSON_string missing", `{"entity_id": "` + osceServer + `", "act": "cmd_deploy_update_sources"}`, -21, []string{"setting_data_JSON_string must be a string holding an object, got (missing)"}},
		{"setting_data_JSON_string an object, not a string", `{"entity_id": "` + osceServer + `", "act": "cmd_deploy_update_sources", "setting_data_JSON_string": ` + settingsJSON(1, good) + `}`,
			-21, []string{"setting_data_JSON_string must be a string holding an object, got {"}},

		// -21: the settings string.
		{"garbage string", deployBody(osceServer, "update everything please"), -21, []string{"setting_data_JSON_string: neither JSON nor a Python literal"}},
		{"empty string", deployBody(osceServer, ""), -21, []string{"neither JSON nor a Python literal"}},
		{"Python literal cut short", deployBody(osceServer, `{'AllowUpdateFromOtherAU': 1, 'OUSList': [`), -21, []string{"neither JSON nor a Python literal"}},
		{"a list instead of an object", deployBody(osceServer, "["+settingsJSON(1, good)+"]"), -21, []string{"must hold an object, holds a list"}},
		{"a string instead of an object", deployBody(osceServer, jsonString(settingsJSON(1, good))), -21, []string{"must hold an object, holds a string"}},
		{"FromIP > ToIP", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.9", "10.1.1.1", "http://10.1.1.1/au"))), -21,
			[]string{"OUSList[0]", "FromIP 10.1.1.9 is after ToIP 10.1.1.1"}},
		{"FromIP > ToIP in the second entry", deployBody(osceServer, settingsJSON(1, good, ipv4Entry("10.2.0.0", "10.1.255.255", "http://10.1.1.1/au"))), -21,
			[]string{"OUSList[1]", "FromIP 10.2.0.0 is after ToIP 10.1.255.255"}},
		{"bad FromIP", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.256", "10.1.1.3", "http://10.1.1.1/au"))), -21,
			[]string{"OUSList[0]", `FromIP "10.1.1.256" is not an IP address`}},
		{"bad ToIP", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "host", "http://10.1.1.1/au"))), -21, []string{`ToIP "host" is not an IP address`}},
		{"missing ToIP", deployBody(osceServer, settingsJSON(1, ousEntry("IPv4", map[string]any{"FromIP": "10.1.1.1", "OUS": "http://10.1.1.1/au"}))), -21, []string{"ToIP must be a non-empty string, got nothing"}},
		{"IPv6 addresses in an IPv4 entry", deployBody(osceServer, settingsJSON(1, ipv4Entry("fd00::1", "fd00::9", "http://10.1.1.1/au"))), -21, []string{"FromIP and ToIP must be IPv4 addresses"}},
		{"OUS ftp://", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "ftp://10.1.1.1/activeupdate"))), -21,
			[]string{`OUS "ftp://10.1.1.1/activeupdate" must be an http or https URL`}},
		{"OUS without host", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "http:///activeupdate"))), -21,
			[]string{`OUS "http:///activeupdate" has no host`}},
		{"OUS without scheme", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "10.1.1.1:21112/activeupdate"))), -21, []string{"OUS"}},
		{"OUS not a URL", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", "http://[::1/au"))), -21, []string{"is not a URL"}},
		{"OUS missing", deployBody(osceServer, settingsJSON(1, ousEntry("IPv4", map[string]any{"FromIP": "10.1.1.1", "ToIP": "10.1.1.3"}))), -21,
			[]string{"OUSList[0]", "OUS must be a non-empty string, got nothing"}},
		{"OUS empty", deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", " "))), -21, []string{"OUS must be a non-empty string"}},
		{"IPv6 Length 0", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::", "Length": 0, "OUS": "http://a.example/"})), -21,
			[]string{"Length must be a number from 1 to 128, got 0"}},
		{"IPv6 Length 200", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::", "Length": 200, "OUS": "http://a.example/"})), -21,
			[]string{"Length must be a number from 1 to 128, got 200"}},
		{"IPv6 Length -1", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::", "Length": -1, "OUS": "http://a.example/"})), -21, []string{"Length must be a number from 1 to 128"}},
		{"IPv6 Length a word", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::", "Length": "sixty-four", "OUS": "http://a.example/"})), -21,
			[]string{`Length must be a number from 1 to 128, got "sixty-four"`}},
		{"IPv6 Length missing", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::", "OUS": "http://a.example/"})), -21, []string{"Length must be a number from 1 to 128, got nothing"}},
		{"IPv6 Prefix an IPv4 address", deployBody(osceServer, v6(map[string]any{"Prefix": "10.1.1.0", "Length": 24, "OUS": "http://a.example/"})), -21, []string{"is not an IPv6 prefix"}},
		{"IPv6 Prefix not an address", deployBody(osceServer, v6(map[string]any{"Prefix": "fd96::zz", "Length": 64, "OUS": "http://a.example/"})), -21, []string{`Prefix "fd96::zz" is not an IP address`}},
		{"AllowUpdateFromOtherAU 2", deployBody(osceServer, settingsJSON(2, good)), -21, []string{"AllowUpdateFromOtherAU must be 0 or 1, got 2"}},
		{"AllowUpdateFromOtherAU -1", deployBody(osceServer, settingsJSON(-1, good)), -21, []string{"AllowUpdateFromOtherAU must be 0 or 1, got -1"}},
		{"AllowUpdateFromOtherAU 1.5", deployBody(osceServer, strings.Replace(settingsJSON(1, good), `"AllowUpdateFromOtherAU":1`, `"AllowUpdateFromOtherAU":1.5`, 1)), -21,
			[]string{"AllowUpdateFromOtherAU must be 0 or 1"}},
		{"UpdateComponentFromServerIfOUSFailed yes", deployBody(osceServer, strings.Replace(settingsJSON(1, good), `"UpdateComponentFromServerIfOUSFailed":1`, `"UpdateComponentFromServerIfOUSFailed":"yes"`, 1)), -21,
			[]string{`UpdateComponentFromServerIfOUSFailed must be 0 or 1, got "yes"`}},
		{"OUSSettingType IPv5", deployBody(osceServer, settingsJSON(1, ousEntry("IPv5", map[string]any{"FromIP": "10.1.1.1", "ToIP": "10.1.1.3", "OUS": "http://a.example/"}))), -21,
			[]string{"OUSList[0]", `OUSSettingType must be "IPv4" or "IPv6", got "IPv5"`}},
		{"OUSSettingType missing", deployBody(osceServer, settingsJSON(1, map[string]any{"OUSSettingJSONString": `{"FromIP": "10.1.1.1", "ToIP": "10.1.1.3", "OUS": "http://a.example/"}`})), -21,
			[]string{`OUSSettingType must be "IPv4" or "IPv6", got nothing`}},
		{"OUSSettingJSONString garbage", deployBody(osceServer, settingsJSON(1, map[string]any{"OUSSettingType": "IPv4", "OUSSettingJSONString": "FromIP=10.1.1.1"})), -21,
			[]string{"OUSList[0]: OUSSettingJSONString: neither JSON nor a Python literal"}},
		{"OUSSettingJSONString a list", deployBody(osceServer, settingsJSON(1, map[string]any{"OUSSettingType": "IPv4", "OUSSettingJSONString": `["10.1.1.1"]`})), -21,
			[]string{"OUSSettingJSONString: must hold an object, holds a list"}},
		{"OUSSettingJSONString a number", deployBody(osceServer, settingsJSON(1, map[string]any{"OUSSettingType": "IPv4", "OUSSettingJSONString": 5})), -21,
			[]string{"OUSSettingJSONString: must be a string holding an object, got a number"}},
		{"OUSList entry not an object", deployBody(osceServer, `{"AllowUpdateFromOtherAU": 1, "OUSList": ["http://a.example/"]}`), -21, []string{"OUSList[0]: must be an object, got a string"}},
		{"OUSList an object", deployBody(osceServer, `{"AllowUpdateFromOtherAU": 1, "OUSList": {}}`), -21, []string{"OUSList must be a list, got an object"}},
		{"OUSList empty with AllowUpdateFromOtherAU 1", deployBody(osceServer, settingsJSON(1)), -21, []string{"OUSList is empty"}},
		{"OUSList missing with AllowUpdateFromOtherAU 1", deployBody(osceServer, `{"AllowUpdateFromOtherAU": 1}`), -21, []string{"OUSList is required"}},
		{"bad settings win over an unknown server", deployBody("00000000-0000-0000-0000-000000000000", "garbage"), -21, nil},
		{"bad settings for a server without the capability", deployBody(apexOne02, settingsJSON(2)), -21, []string{"AllowUpdateFromOtherAU"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Call("POST", serversPath, tc.body, servertest.Token{})
			wantCode(t, r, tc.code)
			wantDescription(t, r, tc.desc...)
			wantSettings(t, env, osceServer, baseline)
			wantSettings(t, env, apexOne02, nil)
		})
	}
	for _, id := range allAgentIDs {
		if cmds := checkIn(t, env, id); len(cmds) != 0 {
			t.Errorf("a refused deployment queued %v for agent %s", cmds, id)
		}
	}
	if got := serverSettings(t, env, osceServer); !reflect.DeepEqual(got, baseline) {
		t.Errorf("OSCESERVER settings %+v, want %+v", got, baseline)
	}
}
