package transport

import (
	"strings"
	"testing"
)

func TestResponseMessage(t *testing.T) {
	long := strings.Repeat("x", 250)
	for _, c := range []struct{ body, want string }{
		{`{"message": "Invalid API Key"}`, "Invalid API Key"},
		{`{"message": ""}`, ""},
		{`{"error": "nope"}`, `{"error": "nope"}`},
		{"  Bad Gateway\n", "Bad Gateway"},
		{long, long[:200] + "..."},
		{"", ""},
	} {
		if got := (&Response{Body: []byte(c.body)}).Message(); got != c.want {
			t.Errorf("Message of %q = %q, want %q", c.body, got, c.want)
		}
	}
}

func TestClientPrefix(t *testing.T) {
	for _, c := range []struct{ base, prefix, def, want string }{
		{"https://h:8443", "", "/api", "/api"},
		{"https://h:8443/", "api/", "/api", "/api"},
		{"https://h:8443/api", "", "/api", ""},
		{"https://h:8443/api/", "/api", "/api", ""},
		{"https://h/tenant", "", "/api", "/api"},
	} {
		tr, err := New(c.base, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Prefix(c.prefix, c.def); got != c.want {
			t.Errorf("Prefix(%q, %q) on %s = %q, want %q", c.prefix, c.def, c.base, got, c.want)
		}
	}
}
