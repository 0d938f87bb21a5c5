package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/server/servertest"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
)

// BenchmarkListAgentsByHostEngines is BenchmarkListAgentsByHost on every
// engine in one run: a bare net/http handler, Rampart on SQLite, Rampart
// on PostgreSQL with one replica, and with two replicas on the same
// database (requests alternate between them, as behind a round-robin load
// balancer; both replicas run in this process). Each Rampart holds the same
// 100,000 agents. Compare the req/s of the sub-benchmarks.
func BenchmarkListAgentsByHostEngines(b *testing.B) {
	sqliteEnv, body := benchServer(b)
	bare := bareServer(b, body)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	pg := servertest.Start(b, servertest.Options{DB: pgtest.URL(b), SecretKey: hex.EncodeToString(key)})
	loadBenchAgents(b, pg)
	second := pg.Replica(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 10 * time.Second}

	run := func(b *testing.B, env *servertest.Env, bases ...string) {
		b.SetParallelism(8)
		b.ReportAllocs()
		var next atomic.Uint64
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			rng := mrand.New(mrand.NewPCG(mrand.Uint64(), 1))
			for pb.Next() {
				path := fmt.Sprintf("/WebApp/API/AgentResource/ProductAgents?host_name=bench%06d", rng.IntN(benchAgents))
				req, _ := http.NewRequest("GET", bases[next.Add(1)%uint64(len(bases))]+path, nil)
				if env != nil {
					req.Header.Set("Authorization", "Bearer "+env.Sign(servertest.Token{Method: "GET", RawURL: path}))
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, bare) })
	b.Run("sqlite", func(b *testing.B) { run(b, sqliteEnv, sqliteEnv.URL) })
	b.Run("postgres-1-replica", func(b *testing.B) { run(b, pg, pg.URL) })
	b.Run("postgres-2-replicas", func(b *testing.B) { run(b, pg, pg.URL, second) })
}

// loadBenchAgents puts the benchmark's agents in env's store and checks
// one answer.
func loadBenchAgents(b *testing.B, env *servertest.Env) {
	agents := make([]fleet.Agent, benchAgents)
	for i := range agents {
		agents[i] = benchAgent(i)
	}
	start := time.Now()
	if err := env.Server.Fleet.AddAgents(context.Background(), agents); err != nil {
		b.Fatalf("loading agents: %v", err)
	}
	b.Logf("loaded %d agents in %s", benchAgents, time.Since(start).Round(time.Millisecond))
	r := env.Call("GET", "/WebApp/API/AgentResource/ProductAgents?host_name=bench000042", "", servertest.Token{})
	if r.ResultCode != 1 || len(r.Agents(b)) != 1 {
		b.Fatalf("sanity call: %s", r.Raw)
	}
}
