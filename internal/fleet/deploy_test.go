package fleet_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/fleet"
)

func rng(from, to string) *fleet.AddrRange {
	return &fleet.AddrRange{From: netip.MustParseAddr(from), To: netip.MustParseAddr(to)}
}

func pfx(s string) *netip.Prefix {
	p := netip.MustParsePrefix(s)
	return &p
}

func TestUpdateSourceSettingsValidate(t *testing.T) {
	const ous = "http://ua.example.com:8080/"
	tests := []struct {
		name    string
		sources []fleet.UpdateSource
		wantErr bool
	}{
		{"no sources", nil, false},
		{"range", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: ous}}, false},
		{"single address range", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.1"), OUS: ous}}, false},
		{"ipv6 prefix", []fleet.UpdateSource{{Prefix: pfx("2001:db8::/32"), OUS: "https://[2001:db8::1]/au"}}, false},
		{"range and prefix", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: ous}, {Prefix: pfx("fd00::/8"), OUS: ous}}, false},
		{"FromIP after ToIP", []fleet.UpdateSource{{Range: rng("10.0.0.9", "10.0.0.1"), OUS: ous}}, true},
		{"ipv6 in range", []fleet.UpdateSource{{Range: rng("2001:db8::1", "2001:db8::9"), OUS: ous}}, true},
		{"ipv4-mapped in range", []fleet.UpdateSource{{Range: rng("::ffff:10.0.0.1", "::ffff:10.0.0.9"), OUS: ous}}, true},
		{"ipv4 prefix", []fleet.UpdateSource{{Prefix: pfx("10.0.0.0/8"), OUS: ous}}, true},
		{"ipv4-mapped prefix", []fleet.UpdateSource{{Prefix: pfx("::ffff:10.0.0.0/104"), OUS: ous}}, true},
		{"neither range nor prefix", []fleet.UpdateSource{{OUS: ous}}, true},
		{"both range and prefix", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), Prefix: pfx("fd00::/8"), OUS: ous}}, true},
		{"OUS empty", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: ""}}, true},
		{"OUS not http", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: "ftp://ua.example.com/"}}, true},
		{"OUS without host", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: "http:///path"}}, true},
		{"OUS with port only", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: "http://:8080/"}}, true},
		{"OUS not a URL", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: "http://bad host%zz/"}}, true},
		{"OUS relative", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: "ua.example.com"}}, true},
		{"second entry bad", []fleet.UpdateSource{{Range: rng("10.0.0.1", "10.0.0.9"), OUS: ous}, {Range: rng("10.0.1.9", "10.0.1.1"), OUS: ous}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: tt.sources}.Validate()
			if tt.wantErr && !errors.Is(err, fleet.ErrInvalid) {
				t.Errorf("Validate: err = %v, want ErrInvalid", err)
			}
			if !tt.wantErr && err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestDeployUpdateSourcesRefused(t *testing.T) {
	valid := fleet.UpdateSourceSettings{Sources: []fleet.UpdateSource{{Range: rng("10.1.1.1", "10.1.1.9"), OUS: "http://ua.example.com/"}}}
	tests := []struct {
		name     string
		server   string
		settings fleet.UpdateSourceSettings
		wantErr  error
	}{
		{"invalid settings", "SRV-A", fleet.UpdateSourceSettings{Sources: []fleet.UpdateSource{{Range: rng("10.1.1.9", "10.1.1.1"),
			OUS: "http://ua.example.com/"}}}, fleet.ErrInvalid},
		{"unknown server", "SRV-NONE", valid, fleet.ErrTargetNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			before := e.snapshot(t)
			_, ok, err := e.svc.DeployUpdateSources(context.Background(), tt.server, tt.settings)
			if !errors.Is(err, tt.wantErr) || ok {
				t.Fatalf("DeployUpdateSources = %v, %v; want false, %v", ok, err, tt.wantErr)
			}
			if d := cmp.Diff(before, e.snapshot(t), cmpOpts); d != "" {
				t.Errorf("a refused deploy changed the fleet (-before +after):\n%s", d)
			}
		})
	}
}

func TestDeployUpdateSourcesIncapableServer(t *testing.T) {
	e := newEnv(t, nil)
	before := e.snapshot(t)
	settings := fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true,
		Sources: []fleet.UpdateSource{{Range: rng("10.1.1.1", "10.1.1.255"), OUS: "http://ua.example.com/"}}}
	srv, ok, err := e.svc.DeployUpdateSources(context.Background(), "srv-b", settings)
	if err != nil || ok {
		t.Fatalf("DeployUpdateSources = %v, %v; want false, nil", ok, err)
	}
	if srv.EntityID != "SRV-B" || srv.UpdateSources != nil {
		t.Errorf("returned server = %s with sources %+v; want SRV-B without", srv.EntityID, srv.UpdateSources)
	}
	if d := cmp.Diff(before, e.snapshot(t), cmpOpts); d != "" {
		t.Errorf("deploy to an incapable server changed the fleet (-before +after):\n%s", d)
	}
}

func TestDeployUpdateSourcesAssigns(t *testing.T) {
	const (
		ua1 = "http://ua1.example.com/"
		ua2 = "http://ua2.example.com:8080/au"
		ua6 = "https://[2001:db8::10]/au"
	)
	overlapping := []fleet.UpdateSource{
		{Range: rng("10.1.1.1", "10.1.1.2"), OUS: ua1},
		{Range: rng("10.1.0.0", "10.1.255.255"), OUS: ua2}, // holds 10.1.1.1-2 too: the first entry wins
		{Prefix: pfx("2001:db8:1::/48"), OUS: ua6},
	}
	prefixFirst := []fleet.UpdateSource{
		{Prefix: pfx("2001:db8:1::/48"), OUS: ua6},
		{Range: rng("10.1.0.0", "10.1.255.255"), OUS: ua2},
	}
	tests := []struct {
		name     string
		settings fleet.UpdateSourceSettings
		// want is the OUS each agent of SRV-A is sent; an agent missing
		// from want gets no command.
		want map[string]string
	}{
		{"first matching entry wins", fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: overlapping},
			map[string]string{"AG-1": ua1, "AG-2": ua1, "AG-3": ua2, "AG-NOCAP": ua2}},
		{"ipv6 prefix", fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: prefixFirst},
			map[string]string{"AG-1": ua2, "AG-2": ua2, "AG-3": ua6, "AG-NOCAP": ua2}},
		{"no entry matches", fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true,
			Sources: []fleet.UpdateSource{{Range: rng("192.168.0.1", "192.168.0.9"), OUS: ua1}}}, map[string]string{}},
		{"other update agents not allowed: every agent of the server, from the server",
			fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: false, Sources: overlapping},
			map[string]string{"AG-1": "", "AG-2": "", "AG-3": "", "AG-NOCAP": "", "AG-FAR": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, nil)
			srv, ok, err := e.svc.DeployUpdateSources(ctx, "srv-a", tt.settings)
			if err != nil || !ok {
				t.Fatalf("DeployUpdateSources = %v, %v; want true, nil", ok, err)
			}
			if srv.EntityID != "SRV-A" || srv.UpdateSources == nil {
				t.Fatalf("returned server = %s with sources %v", srv.EntityID, srv.UpdateSources)
			}
			if d := cmp.Diff(tt.settings, *srv.UpdateSources, cmpOpts); d != "" {
				t.Errorf("returned settings (-want +got):\n%s", d)
			}
			stored, err := e.store.Server(ctx, "SRV-A")
			if err != nil {
				t.Fatalf("Server: %v", err)
			}
			if stored.UpdateSources == nil {
				t.Fatal("stored settings = nil")
			}
			if d := cmp.Diff(tt.settings, *stored.UpdateSources, cmpOpts); d != "" {
				t.Errorf("stored settings (-want +got):\n%s", d)
			}

			for _, a := range fixtureAgents() {
				cmds := e.commands(t, a.EntityID)
				ous, want := tt.want[a.EntityID]
				if !want {
					if len(cmds) != 0 {
						t.Errorf("agent %s got %+v, want no command", a.EntityID, cmds)
					}
					continue
				}
				wantCmds := []cmdView{{ID: cmds0(cmds), Kind: fleet.CommandUpdateSource, State: fleet.CommandQueued,
					Params: map[string]string{"ous": ous, "server_id": "SRV-A"}}}
				if d := cmp.Diff(wantCmds, cmds, cmpOpts); d != "" {
					t.Errorf("commands of %s (-want +got):\n%s", a.EntityID, d)
				}
			}
		})
	}
}

// cmds0 is the ID of the first command, or "" (IDs depend on the order the
// agents are visited, which the test does not pin).
func cmds0(cmds []cmdView) string {
	if len(cmds) == 0 {
		return ""
	}
	return cmds[0].ID
}

func TestSourceFor(t *testing.T) {
	s := fleet.UpdateSourceSettings{Sources: []fleet.UpdateSource{
		{Range: rng("10.0.0.1", "10.0.0.10"), OUS: "first"},
		{Prefix: pfx("fe80::/10"), OUS: "link-local"},
		{Range: rng("10.0.0.0", "10.0.0.255"), OUS: "second"},
	}}
	tests := []struct {
		addrs []string
		want  string // "" means none
	}{
		{[]string{"10.0.0.1"}, "first"},
		{[]string{"10.0.0.10"}, "first"},
		{[]string{"10.0.0.11"}, "second"},
		{[]string{"10.0.0.0"}, "second"},
		{[]string{"10.0.1.0"}, ""},
		{[]string{"::ffff:10.0.0.5"}, "first"},
		{[]string{"fe80::1%eth0"}, "link-local"},
		{[]string{"FE80::1"}, "link-local"},
		{[]string{"2001:db8::1"}, ""},
		{[]string{"garbage", "10.0.0.200"}, "second"},
		{[]string{"10.0.0.200", "fe80::1"}, "link-local"}, // entries in order, not addresses
		{nil, ""},
	}
	for _, tt := range tests {
		src, ok := s.SourceFor(tt.addrs)
		if got := map[bool]string{true: src.OUS}[ok]; got != tt.want {
			t.Errorf("SourceFor(%v) = %q, %v; want %q", tt.addrs, src.OUS, ok, tt.want)
		}
	}
}
