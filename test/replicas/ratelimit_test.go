package replicas_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server/servertest"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
)

// TestRateLimitAcrossReplicas: a key's calls count against one limit
// whichever replica serves them, and a refused call on one replica is
// refused on the other too.
func TestRateLimitAcrossReplicas(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	limits := ratelimit.Limits{PerKey: 4}
	a := servertest.Start(t, servertest.Options{DB: pgtest.URL(t), SecretKey: hex.EncodeToString(key), RateLimits: &limits})
	b := a.Replica(t)
	call := func(base string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/api/apikeys", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("api-version", "v1")
		req.Header.Set("api-secret-key", a.APISecret)
		resp, err := a.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var got []int
	for _, base := range []string{a.URL, b, a.URL, b, a.URL, b} {
		got = append(got, call(base))
	}
	want := []int{200, 200, 200, 200, 429, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("calls alternating between the replicas answered %v, want %v", got, want)
		}
	}
	if !strings.HasPrefix(b, "http://127.0.0.1:") || b == a.URL {
		t.Errorf("the second replica's URL %q", b)
	}
}
