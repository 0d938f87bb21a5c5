package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/simulator"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

// stepClock records, for every step applied, how long it took against the
// configured step time: runner steps by how late they ran, steps the
// appliance carries out by how long the report took to arrive.
type stepClock struct {
	appliances.Store
	step          time.Duration
	mu            sync.Mutex
	late, onAppl  []time.Duration
	finishedAfter []time.Duration
	started       map[int64]time.Time
}

func (c *stepClock) StartMigration(ctx context.Context, m appliances.Migration) (int64, error) {
	id, err := c.Store.StartMigration(ctx, m)
	if err == nil {
		c.mu.Lock()
		c.started[m.ApplianceID] = m.StepAt
		c.mu.Unlock()
	}
	return id, err
}

func (c *stepClock) AdvanceMigrations(ctx context.Context, steps []appliances.Advance) (int, error) {
	n, err := c.Store.AdvanceMigrations(ctx, steps)
	if err != nil || n != len(steps) {
		return n, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range steps {
		took := s.Next.StepAt.Sub(s.From.StepAt)
		if s.From.Awaiting {
			c.onAppl = append(c.onAppl, took)
		} else {
			c.late = append(c.late, took-c.step)
		}
		if s.Next.Done() {
			c.finishedAfter = append(c.finishedAfter, s.Next.Finished.Sub(c.started[s.Next.ApplianceID]))
		}
	}
	return n, err
}

// timedTransport records the latency of every protocol call the virtual
// appliances make.
type timedTransport struct {
	http.RoundTripper
	mu   sync.Mutex
	took []time.Duration
	errs int
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.RoundTripper.RoundTrip(r)
	t.mu.Lock()
	t.took = append(t.took, time.Since(start))
	if err != nil || resp.StatusCode >= 300 {
		t.errs++
	}
	t.mu.Unlock()
	return resp, err
}

// BenchmarkApplianceFleet10k runs 10,000 virtual appliances that check in
// over the agent protocol (loopback HTTP, the real handler) every 5 s,
// starts an upgrade on each, and waits until every upgrade has finished.
// The appliances carry out the installing and restarting steps themselves
// and report them; the runner takes the other steps. It reports how late
// runner steps ran against the configured step time, how long appliance
// steps waited for their report, check-in latency, CPU time and peak heap.
func BenchmarkApplianceFleet10k(b *testing.B) {
	const n = 10_000
	step, interval := 2*time.Second, 5*time.Second
	for i := 0; i < b.N; i++ {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]int64, n)
		err = st.InTx(ctx, func(tx fleet.Store) error {
			s := tx.(*sqlstore.Store)
			for i := range ids {
				ids[i] = int64(i + 1)
				if err := s.InsertAppliance(ctx, appliances.Appliance{ID: ids[i], InstanceID: fmt.Sprintf("i-%017x", ids[i]), Version: demo.Catalogue()[0]}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := &stepClock{Store: st, step: step, started: map[int64]time.Time{}}
		svc := appliances.NewService(rec, demo.Catalogue(), step, time.Now)
		h := &agentproto.Handler{Appliances: svc, Token: "bench-token", Log: discardLog()}
		mux := http.NewServeMux()
		mux.HandleFunc("POST "+agentproto.ApplianceCheckInPath, h.ApplianceCheckIn)
		mux.HandleFunc("POST "+agentproto.ApplianceReportPath, h.ApplianceReport)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)

		var before syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		start := time.Now()
		runCtx, stop := context.WithCancel(ctx)
		go (&appliances.Runner{Service: svc, Owner: "bench", Every: 100 * time.Millisecond, LeaseFor: time.Minute, Log: discardLog()}).Run(runCtx)
		tt := &timedTransport{RoundTripper: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256, IdleConnTimeout: time.Minute}}
		client := &agentproto.Client{BaseURL: "http://" + ln.Addr().String(), Token: "bench-token", HTTP: &http.Client{Transport: tt, Timeout: 30 * time.Second}}
		fleetDone := make(chan struct{})
		go func() {
			(&simulator.ApplianceFleet{Client: client, Interval: interval, Log: discardLog()}).Run(runCtx, ids)
			close(fleetDone)
		}()

		// Every appliance must have checked in (so its migration waits for
		// it) before the upgrades start.
		waitFor(b, 2*time.Minute, func() bool {
			all, err := svc.List(ctx)
			if err != nil {
				b.Fatal(err)
			}
			return !slices.ContainsFunc(all, func(a appliances.Appliance) bool { return !a.Agent })
		})
		checkedIn := time.Since(start)
		startAt := time.Now()
		for _, id := range ids {
			if err := svc.Start(ctx, id, appliances.Upgrade); err != nil {
				b.Fatal(err)
			}
		}
		started := time.Since(startAt)
		var peak uint64
		waitFor(b, 20*time.Minute, func() bool {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			all, err := svc.Latest(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			done := 0
			for _, m := range all {
				if m.Result == "success" {
					done++
				} else if m.Result != "" {
					b.Fatalf("migration of %d ended %s: %s", m.ApplianceID, m.Result, m.Message)
				}
			}
			if time.Since(startAt) > 5*time.Second && done < n && time.Now().Second()%15 == 0 {
				b.Logf("%s: %d of %d upgrades finished", time.Since(startAt).Round(time.Second), done, n)
			}
			return done == n
		})
		stop()
		<-fleetDone
		total := time.Since(start)
		var after syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
		_ = srv.Close()
		st.Close()

		if len(rec.onAppl) != 2*n || len(rec.finishedAfter) != n {
			b.Fatalf("%d appliance steps and %d finished migrations, want %d and %d", len(rec.onAppl), len(rec.finishedAfter), 2*n, n)
		}
		q := func(d []time.Duration, p float64) float64 {
			slices.Sort(d)
			return float64(d[int(p*float64(len(d)-1))].Milliseconds())
		}
		b.ReportMetric(float64(len(rec.late)+len(rec.onAppl)), "steps")
		b.ReportMetric(q(rec.late, 0.50), "runner-late-p50-ms")
		b.ReportMetric(q(rec.late, 0.99), "runner-late-p99-ms")
		b.ReportMetric(q(rec.late, 1), "runner-late-max-ms")
		b.ReportMetric(q(rec.onAppl, 0.50), "report-wait-p50-ms")
		b.ReportMetric(q(rec.onAppl, 0.99), "report-wait-p99-ms")
		b.ReportMetric(q(rec.finishedAfter, 0.99), "migration-p99-ms")
		b.ReportMetric(q(tt.took, 0.50), "call-p50-ms")
		b.ReportMetric(q(tt.took, 0.99), "call-p99-ms")
		b.ReportMetric(float64(len(tt.took))/total.Seconds(), "calls/s")
		b.ReportMetric(float64(tt.errs), "call-errors")
		b.ReportMetric(checkedIn.Seconds(), "all-checked-in-s")
		b.ReportMetric(started.Seconds(), "start-all-s")
		b.ReportMetric(total.Seconds(), "all-done-s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

// waitFor polls done every half second until it holds, failing the
// benchmark after limit.
func waitFor(b *testing.B, limit time.Duration, done func() bool) {
	b.Helper()
	for deadline := time.Now().Add(limit); !done(); time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("still waiting after %s", limit)
		}
	}
}
