package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

// lateness records, for every step a runner takes, how long after it was
// due it happened.
type lateness struct {
	appliances.Store
	step time.Duration
	mu   sync.Mutex
	late []time.Duration
}

func (l *lateness) AdvanceMigrations(ctx context.Context, steps []appliances.Advance) (int, error) {
	n, err := l.Store.AdvanceMigrations(ctx, steps)
	if err == nil && n == len(steps) {
		l.mu.Lock()
		for _, s := range steps {
			l.late = append(l.late, s.Next.StepAt.Sub(s.From.StepAt)-l.step)
		}
		l.mu.Unlock()
	}
	return n, err
}

// BenchmarkMigrations10k starts an upgrade on each of 10,000 appliances on
// one node (SQLite, one runner) and waits until every one has finished. It
// reports how late steps ran against the configured step time (p50, p99,
// max), the process CPU time and the peak heap.
func BenchmarkMigrations10k(b *testing.B) {
	const n = 10_000
	step := 2 * time.Second
	for i := 0; i < b.N; i++ {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		err = st.InTx(ctx, func(tx fleet.Store) error {
			s := tx.(*sqlstore.Store)
			for id := 1; id <= n; id++ {
				if err := s.InsertAppliance(ctx, appliances.Appliance{ID: int64(id), InstanceID: fmt.Sprintf("i-%017x", id), Version: demo.Catalogue()[0]}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := &lateness{Store: st, step: step}
		svc := appliances.NewService(rec, demo.Catalogue(), step, time.Now)
		var before syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		start := time.Now()
		runCtx, stop := context.WithCancel(ctx)
		runner := &appliances.Runner{Service: svc, Owner: "bench", Every: 100 * time.Millisecond, LeaseFor: time.Minute, Log: discardLog()}
		go runner.Run(runCtx)
		for id := 1; id <= n; id++ {
			if err := svc.Start(ctx, int64(id), appliances.Upgrade); err != nil {
				b.Fatal(err)
			}
		}
		started := time.Since(start)
		var peak uint64
		for deadline := time.Now().Add(20 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
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
			if done == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d migrations finished", done, n)
			}
		}
		stop()
		total := time.Since(start)
		var after syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
		st.Close()

		slices.Sort(rec.late)
		q := func(p float64) float64 { return float64(rec.late[int(p*float64(len(rec.late)-1))].Milliseconds()) }
		b.ReportMetric(float64(len(rec.late)), "steps")
		b.ReportMetric(q(0.50), "late-p50-ms")
		b.ReportMetric(q(0.99), "late-p99-ms")
		b.ReportMetric(q(1), "late-max-ms")
		b.ReportMetric(started.Seconds(), "start-all-s")
		b.ReportMetric(total.Seconds(), "all-done-s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
