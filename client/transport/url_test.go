package transport_test

import (
	"net/http"
	"testing"

	"github.com/rampart-sec/rampart/client/transport"
)

func TestURLs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		base, path, want string
	}{
		{"https://h:8443", "/WebApp/API/x", "https://h:8443/WebApp/API/x"},
		{"https://h:8443/", "/WebApp/API/x", "https://h:8443/WebApp/API/x"},
		{"https://h:8443//", "/WebApp/API/x", "https://h:8443/WebApp/API/x"},
		{"https://h:8443/proxy/", "/api/roles", "https://h:8443/proxy/api/roles"},
		{"https://h:8443//proxy//", "/api/roles", "https://h:8443/proxy/api/roles"},
		{" https://h:8443/?stale=1#frag ", "/api", "https://h:8443/api"},
	}
	for _, tc := range cases {
		c, err := transport.New(tc.base, transport.Options{})
		if err != nil {
			t.Errorf("New(%q): %v", tc.base, err)
			continue
		}
		if got := c.URL(&transport.Request{Path: tc.path}).String(); got != tc.want {
			t.Errorf("%q + %q = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
	if _, err := transport.New("https://h", transport.Options{HTTPClient: &http.Client{}, TLS: transport.TLSOptions{Insecure: true}}); err == nil {
		t.Error("TLS options ignored for a given HTTPClient")
	}
	for _, bad := range []string{"", "h:8443", "ftp://h/", "https://", "https://user:pw@h/"} {
		if _, err := transport.New(bad, transport.Options{}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
