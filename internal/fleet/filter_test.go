package fleet_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/fleet"
)

func TestNormalizeMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"00-60-59-A4-70-2D", "00-60-59-A4-70-2D"},
		{"00-60-59-a4-70-2d", "00-60-59-A4-70-2D"},
		{"00:60:59:a4:70:2d", "00-60-59-A4-70-2D"},
		{"0060.59a4.702d", "00-60-59-A4-70-2D"},
		{"006059A4702D", "00-60-59-A4-70-2D"},
		{"  00:60:59:A4:70:2D\t", "00-60-59-A4-70-2D"},
		{"00-60:59.a4-70:2d", "00-60-59-A4-70-2D"}, // mixed separators
		{"", ""},
		// Not twelve hex digits: upper-cased as is.
		{"00-60-59-A4-70", "00-60-59-A4-70"},
		{"00-60-59-a4-70-2d-ff", "00-60-59-A4-70-2D-FF"},
		{"00-60-59-a4-70-zz", "00-60-59-A4-70-ZZ"},
		{"not a mac", "NOT A MAC"},
	}
	for _, tt := range tests {
		if got := fleet.NormalizeMAC(tt.in); got != tt.want {
			t.Errorf("NormalizeMAC(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.1.1.1", "10.1.1.1"},
		{" 10.1.1.1 ", "10.1.1.1"},
		{"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"FE80::8846:D1AC:8EE1:85CE", "fe80::8846:d1ac:8ee1:85ce"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"::ffff:10.1.1.1", "::ffff:10.1.1.1"},
		{"::", "::"},
		{"", ""},
		// Not an address: trimmed and lower-cased, so it matches nothing.
		{"10.1.1", "10.1.1"},
		{"10.1.1.300", "10.1.1.300"},
		{" Not-An-IP ", "not-an-ip"},
		{"10.1.1.0/24", "10.1.1.0/24"},
	}
	for _, tt := range tests {
		if got := fleet.NormalizeIP(tt.in); got != tt.want {
			t.Errorf("NormalizeIP(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABC-def", "abc-def"},
		{"  Client01\t", "client01"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := fleet.Key(tt.in); got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFilterNormalize(t *testing.T) {
	got := fleet.AgentFilter{EntityID: " AG-1 ", IPAddress: "2001:DB8::1", MACAddress: "00:60:59:a4:70:2d",
		HostName: "Client01", Product: "SLF_Product", ManagingServerID: "SRV-A"}.Normalize()
	want := fleet.AgentFilter{EntityID: "ag-1", IPAddress: "2001:db8::1", MACAddress: "00-60-59-A4-70-2D",
		HostName: "client01", Product: "slf_product", ManagingServerID: "srv-a"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("AgentFilter.Normalize (-want +got):\n%s", d)
	}
	gotS := fleet.ServerFilter{EntityID: "SRV-A", IPAddress: " 10.0.0.1", MACAddress: "0060.59a4.702d", HostName: "ApexOne", Product: "P"}.Normalize()
	wantS := fleet.ServerFilter{EntityID: "srv-a", IPAddress: "10.0.0.1", MACAddress: "00-60-59-A4-70-2D", HostName: "apexone", Product: "p"}
	if d := cmp.Diff(wantS, gotS); d != "" {
		t.Errorf("ServerFilter.Normalize (-want +got):\n%s", d)
	}
	if !(fleet.AgentFilter{}).Empty() || (fleet.AgentFilter{HostName: "x"}).Empty() {
		t.Error("AgentFilter.Empty is wrong")
	}
}
