package apexcentral_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func TestActions(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := newClient(t, env)
	type want struct {
		hosts  []string
		status apexcentral.IsolationStatus // of every agent acted on, when set
		server string                      // managing server of every agent acted on, when set
		code   apexcentral.ResultCode      // the refusal, when set
		http   int
	}
	cases := []struct {
		name string
		req  apexcentral.ActionRequest
		want want
	}{
		{"isolate one by host name", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, Target: apexcentral.AgentTarget{HostName: "client01"}},
			want{hosts: []string{"client01"}, status: apexcentral.StatusIsolationPending}},
		{"isolate again changes nothing", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, Target: apexcentral.AgentTarget{EntityID: client01}},
			want{hosts: []string{"client01"}, status: apexcentral.StatusIsolationPending}},
		{"several matches refused", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, Target: apexcentral.AgentTarget{Product: "SLF_PRODUCT_OFFICESCAN_CE"}},
			want{code: apexcentral.CodeMultipleMatch, http: http.StatusBadRequest}},
		{"agent without the capability left out", apexcentral.ActionRequest{Action: apexcentral.ActUninstall, Target: apexcentral.AgentTarget{HostName: "host8"}},
			want{hosts: []string{}}},
		{"relocate to an unknown server", apexcentral.ActionRequest{Action: apexcentral.ActRelocate, Target: apexcentral.AgentTarget{HostName: "OSCECLIENT"},
			RelocateToServerID: "00000000-0000-0000-0000-000000000000", RelocateToFolderPath: `\NewDomain\NewFolder`},
			want{code: apexcentral.CodeTargetNotFound, http: http.StatusBadRequest}},
		{"relocate as seed 001", apexcentral.ActionRequest{Action: apexcentral.ActRelocate, Target: apexcentral.AgentTarget{HostName: "OSCECLIENT"},
			AllowMultipleMatch: true, RelocateToServerID: apexOne01, RelocateToFolderPath: `\NewDomain\Néw Folder`},
			want{hosts: []string{"OSCECLIENT"}, server: apexOne01}},
		{"restore by MAC with colons", apexcentral.ActionRequest{Action: apexcentral.ActRestore, Target: apexcentral.AgentTarget{MACAddress: "00:60:59:a4:70:2d"}},
			want{hosts: []string{"client01"}, status: apexcentral.StatusNormal}},
		{"isolate with allow_multiple_match and two criteria", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, AllowMultipleMatch: true,
			Target: apexcentral.AgentTarget{Product: "SLF_PRODUCT_OFFICESCAN_CE", IPAddress: "10.1.1.2"}},
			want{hosts: []string{"client02"}, status: apexcentral.StatusIsolationPending}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Act(ctx, tc.req)
			if tc.want.code != 0 {
				var e *apexcentral.Error
				if !errors.As(err, &e) || e.ResultCode != tc.want.code || e.StatusCode != tc.want.http || e.Description == "" {
					t.Fatalf("error %v, want result_code %d with HTTP %d", err, tc.want.code, tc.want.http)
				}
				return
			}
			if err != nil {
				t.Fatalf("Act: %v", err)
			}
			if diff := cmp.Diff(tc.want.hosts, agentHosts(got)); diff != "" {
				t.Errorf("agents acted on (-want +got):\n%s", diff)
			}
			for _, a := range got {
				if tc.want.status != "" && a.IsolationStatus != tc.want.status {
					t.Errorf("%s is %s, want %s", a.HostName, a.IsolationStatus, tc.want.status)
				}
				if tc.want.server != "" && (a.ManagingServerID != tc.want.server || a.FolderPath != tc.req.RelocateToFolderPath) {
					t.Errorf("%s is managed by %s in %q, want %s in %q", a.HostName, a.ManagingServerID, a.FolderPath, tc.want.server, tc.req.RelocateToFolderPath)
				}
			}
		})
	}
}

// TestActionRefusedLocally checks the requests the client refuses before
// sending: an empty selection must never reach a server.
func TestActionRefusedLocally(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := newClient(t, env)
	cases := []struct {
		name string
		req  apexcentral.ActionRequest
		want string
	}{
		{"no target", apexcentral.ActionRequest{Action: apexcentral.ActIsolate}, "at least one of"},
		{"blank target", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, Target: apexcentral.AgentTarget{HostName: "  "}}, "at least one of"},
		{"unknown action", apexcentral.ActionRequest{Action: "cmd_explode_agent", Target: apexcentral.AgentTarget{HostName: "client01"}}, "is not one of"},
		{"relocate without folder", apexcentral.ActionRequest{Action: apexcentral.ActRelocate, Target: apexcentral.AgentTarget{HostName: "client01"}, RelocateToServerID: osceServer}, "folder path"},
		{"isolate with a relocation", apexcentral.ActionRequest{Action: apexcentral.ActIsolate, Target: apexcentral.AgentTarget{HostName: "client01"}, RelocateToServerID: osceServer}, "no relocation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Act(ctx, tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	agents, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.IsolationStatus != apexcentral.StatusNormal && a.IsolationStatus != apexcentral.StatusNotSupported {
			t.Errorf("%s is %s after refused actions", a.HostName, a.IsolationStatus)
		}
	}
}

func TestDeployUpdateSources(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := newClient(t, env)
	seed000 := apexcentral.UpdateSettings{AllowUpdateFromOtherAU: true, UpdateComponentFromServerIfOUSFailed: true,
		UpdateSettingFromServerIfOUSFailed: true, UpdateProgramFromServerIfOUSFailed: true,
		Sources: []apexcentral.UpdateSource{apexcentral.IPv4Range("10.1.1.2", "100.1.1.10", "http://10.1.1.1:21112/activeupdate?a=1&b=<2>")}}
	cases := []struct {
		name     string
		server   string
		settings apexcentral.UpdateSettings
		hosts    []string
		code     apexcentral.ResultCode
		desc     string
	}{
		{"seed 000", osceServer, seed000, []string{"OSCESERVER"}, 0, ""},
		{"IPv4 and IPv6", apexOne01, apexcentral.UpdateSettings{AllowUpdateFromOtherAU: true, Sources: []apexcentral.UpdateSource{
			apexcentral.IPv4Range("10.1.0.1", "10.1.0.255", "http://10.1.0.10:21112/activeupdate"),
			apexcentral.IPv6Prefix("fd96:7568:9882:6::", 64, "https://[fd96:7568:9882:6::1]/activeupdate"),
		}}, []string{"ApexOne01"}, 0, ""},
		{"back to the server", osceServer, apexcentral.UpdateSettings{}, []string{"OSCESERVER"}, 0, ""},
		{"server without the capability", apexOne02, seed000, []string{}, 0, ""},
		{"unknown server", "00000000-0000-0000-0000-000000000000", seed000, nil, apexcentral.CodeTargetNotFound, ""},
		{"bad address", osceServer, apexcentral.UpdateSettings{AllowUpdateFromOtherAU: true,
			Sources: []apexcentral.UpdateSource{apexcentral.IPv4Range("10.1.1.300", "10.1.1.3", "http://10.1.1.1/au")}}, nil, apexcentral.CodeInvalidParameter, `FromIP "10.1.1.300"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.DeployUpdateSources(ctx, tc.server, tc.settings)
			if tc.code != 0 {
				if !apexcentral.IsResultCode(err, tc.code) || !strings.Contains(err.Error(), tc.desc) {
					t.Fatalf("error %v, want result_code %d with %q", err, tc.code, tc.desc)
				}
				return
			}
			if err != nil {
				t.Fatalf("DeployUpdateSources: %v", err)
			}
			if diff := cmp.Diff(tc.hosts, serverHosts(got)); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("refused locally", func(t *testing.T) {
		for _, s := range []apexcentral.UpdateSettings{
			{AllowUpdateFromOtherAU: true},
			{Sources: []apexcentral.UpdateSource{{Type: "IPv5", OUS: "http://a/"}}},
		} {
			if _, err := c.DeployUpdateSources(ctx, osceServer, s); err == nil || apexcentral.IsResultCode(err, apexcentral.CodeInvalidParameter) {
				t.Errorf("%+v: error %v, want a local refusal", s, err)
			}
		}
		if _, err := c.DeployUpdateSources(ctx, "", seed000); err == nil {
			t.Error("no server accepted")
		}
	})
}

func TestSettingString(t *testing.T) {
	t.Parallel()
	s := apexcentral.UpdateSettings{AllowUpdateFromOtherAU: true, UpdateProgramFromServerIfOUSFailed: true, Sources: []apexcentral.UpdateSource{
		apexcentral.IPv4Range("10.1.1.1", "10.1.1.3", "http://10.1.1.1:21112/activeupdate"),
		apexcentral.IPv6Prefix("fd00::", 64, "http://a.example/au&x"),
	}}
	got, err := s.SettingString()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"AllowUpdateFromOtherAU":1,"UpdateComponentFromServerIfOUSFailed":0,"UpdateSettingFromServerIfOUSFailed":0,"UpdateProgramFromServerIfOUSFailed":1,` +
		`"OUSList":[{"OUSSettingType":"IPv4","OUSSettingJSONString":"{\"FromIP\":\"10.1.1.1\",\"ToIP\":\"10.1.1.3\",\"OUS\":\"http://10.1.1.1:21112/activeupdate\"}"},` +
		`{"OUSSettingType":"IPv6","OUSSettingJSONString":"{\"Prefix\":\"fd00::\",\"Length\":64,\"OUS\":\"http://a.example/au&x\"}"}]}`
	if got != want {
		t.Errorf("SettingString:\n got %s\nwant %s", got, want)
	}
}
