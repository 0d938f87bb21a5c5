package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// benchAgents is how many agents the read benchmark puts in the store.
const benchAgents = 100_000

var (
	benchOnce sync.Once
	benchEnv  *servertest.Env
	benchBody []byte
)

// benchServer starts one Rampart with benchAgents agents for the whole
// benchmark run (loading them takes seconds, so it is shared).
func benchServer(b *testing.B) (*servertest.Env, []byte) {
	benchOnce.Do(func() {
		env := servertest.Start(&onceTB{B: b})
		agents := make([]fleet.Agent, benchAgents)
		for i := range agents {
			agents[i] = benchAgent(i)
		}
		if err := env.Server.Fleet.AddAgents(context.Background(), agents); err != nil {
			b.Fatalf("loading agents: %v", err)
		}
		r := env.Call("GET", "/WebApp/API/AgentResource/ProductAgents?host_name=bench000042", "", servertest.Token{})
		if r.ResultCode != 1 || len(r.Agents(b)) != 1 {
			b.Fatalf("sanity call: %s", r.Raw)
		}
		benchEnv, benchBody = env, r.Raw
	})
	return benchEnv, benchBody
}

// benchAgent is the i-th agent of the read benchmarks.
func benchAgent(i int) fleet.Agent {
	return fleet.Agent{
		EntityID: fmt.Sprintf("BE0C0000-0000-4000-8000-%012d", i), Product: "SLF_PRODUCT_OFFICESCAN_CE",
		ManagingServerID: "026332F39EBC-41C19604-02DD-2C5F-EDE5", FolderPath: "Workgroup",
		IPAddresses:  []string{fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)},
		MACAddresses: []string{fmt.Sprintf("02-00-00-%02X-%02X-%02X", i>>16&255, i>>8&255, i&255)},
		HostName:     fmt.Sprintf("bench%06d", i), Isolation: fleet.StatusNormal,
		Capabilities: []fleet.Capability{fleet.CapIsolate, fleet.CapRestore},
	}
}

// onceTB lets the shared server outlive the sub-benchmark that started it:
// its cleanups run when the process exits instead.
type onceTB struct{ *testing.B }

func (o *onceTB) Cleanup(func()) {}
func (o *onceTB) TempDir() string {
	dir, err := os.MkdirTemp("", "rampart-bench-*")
	if err != nil {
		o.Fatal(err)
	}
	return dir
}

// BenchmarkListAgentsByHost measures signed `GET ProductAgents?host_name=X`
// on loopback against Rampart with 100,000 agents (a random host per
// request, a fresh token per request) and, in the same run, against a bare
// net/http handler that returns the same bytes without authenticating or
// querying anything. Compare the req/s metrics of the two sub-benchmarks.
func BenchmarkListAgentsByHost(b *testing.B) {
	env, body := benchServer(b)
	bare := bareServer(b, body)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 10 * time.Second}

	run := func(b *testing.B, base string) {
		b.SetParallelism(8)
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for pb.Next() {
				path := fmt.Sprintf("/WebApp/API/AgentResource/ProductAgents?host_name=bench%06d", rng.IntN(benchAgents))
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+env.Sign(servertest.Token{Method: "GET", RawURL: path}))
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
	b.Run("bare", func(b *testing.B) { run(b, bare) })
	b.Run("rampart", func(b *testing.B) { run(b, env.URL) })
}

func bareServer(b *testing.B, body []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
