package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server/servertest"
	_ "modernc.org/sqlite"
)

const benchKeys = 100_000

var (
	keysOnce sync.Once
	keysEnv  *servertest.Env
	keysBody []byte
)

// keysServer starts one Rampart with benchKeys API keys (inserted straight
// into its SQLite file in one transaction, as loading them through the API
// would take minutes) and the rate limiter off.
func keysServer(b *testing.B) (*servertest.Env, []byte) {
	keysOnce.Do(func() {
		env := servertest.Start(&onceTB{B: b}, servertest.Options{RateLimits: &ratelimit.Limits{Disabled: true}})
		db, err := sql.Open("sqlite", "file:"+filepath.Join(env.DataDir, "rampart.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UnixMilli()
		for i := 0; i < benchKeys; i++ {
			if _, err := tx.Exec(`INSERT INTO api_keys (key_name, description, locale, role_id, time_zone, active, created, failed, service_account, secret_hash)
				VALUES ($1, 'bench', 'en-US', 2, 'UTC', 1, $2, 0, 0, 'x')`, fmt.Sprintf("bench-%06d", i), now); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		r := env.WS("POST", "/api/apikeys/search", searchBody(42), "api-secret-key", env.APISecret)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"bench-000042"`) {
			b.Fatalf("sanity search: %d %s", r.Status, r.Body)
		}
		keysEnv, keysBody = env, r.Body
	})
	return keysEnv, keysBody
}

func searchBody(i int) string {
	return fmt.Sprintf(`{"searchCriteria": [{"fieldName": "keyName", "stringValue": "bench-%06d", "stringTest": "equal"}]}`, i)
}

// BenchmarkSearchAPIKeysByName measures authenticated POST
// /api/apikeys/search with a keyName criterion over 100,000 keys, against
// a bare net/http handler returning the same bytes in the same run; both
// report req/s and the p99 latency.
func BenchmarkSearchAPIKeysByName(b *testing.B) {
	env, body := keysServer(b)
	bare := bareServer(b, body)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 10 * time.Second}
	run := func(b *testing.B, base string) {
		b.SetParallelism(8)
		b.ReportAllocs()
		var mu sync.Mutex
		var lat []time.Duration
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
			var mine []time.Duration
			for pb.Next() {
				req, _ := http.NewRequestWithContext(context.Background(), "POST", base+"/api/apikeys/search", strings.NewReader(searchBody(rng.IntN(benchKeys))))
				req.Header.Set("api-version", "v1")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("api-secret-key", env.APISecret)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		if len(lat) > 0 {
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, bare) })
	b.Run("rampart", func(b *testing.B) { run(b, env.URL) })
}
