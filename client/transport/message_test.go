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
