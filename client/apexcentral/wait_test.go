package apexcentral_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// agentsDriver is the pollers' sleeper in these tests: instead of waiting,
// each "wait" lets the agents check in and carry out their commands, as
// Rampart's virtual agents do every interval.
type agentsDriver struct {
	t     *testing.T
	env   *servertest.Env
	ids   []string
	ok    bool
	mu    sync.Mutex
	waits []time.Duration
}

func (d *agentsDriver) Sleep(ctx context.Context, wait time.Duration) error {
	d.mu.Lock()
	d.waits = append(d.waits, wait)
	d.mu.Unlock()
	for _, id := range d.ids {
		settleWith(d.t, d.env, id, d.ok)
	}
	return ctx.Err()
}

// statuses records what the progress callback sees, by host.
type statuses struct {
	mu   sync.Mutex
	seen map[string][]apexcentral.IsolationStatus
}

func (s *statuses) Progress(a apexcentral.Agent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string][]apexcentral.IsolationStatus{}
	}
	s.seen[a.HostName] = append(s.seen[a.HostName], a.IsolationStatus)
}

func TestWaitSettled(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	const (
		pendingI = apexcentral.StatusIsolationPending
		pendingR = apexcentral.StatusRestorationPending
		isolated = apexcentral.StatusIsolated
		normal   = apexcentral.StatusNormal
	)
	cases := []struct {
		name     string
		action   apexcentral.Action
		target   apexcentral.AgentTarget
		ids      []string
		ok       bool // what the agents report
		want     apexcentral.IsolationStatus
		seen     map[string][]apexcentral.IsolationStatus
		unwanted bool // an *UnexpectedStatusError is expected
	}{
		{"isolate", apexcentral.ActIsolate, apexcentral.AgentTarget{HostName: "client01"}, []string{client01}, true, isolated,
			map[string][]apexcentral.IsolationStatus{"client01": {pendingI, isolated}}, false},
		{"restore", apexcentral.ActRestore, apexcentral.AgentTarget{HostName: "client01"}, []string{client01}, true, normal,
			map[string][]apexcentral.IsolationStatus{"client01": {pendingR, normal}}, false},
		{"isolation the agent fails", apexcentral.ActIsolate, apexcentral.AgentTarget{EntityID: osceClient}, []string{osceClient}, false, isolated,
			map[string][]apexcentral.IsolationStatus{"OSCECLIENT": {pendingI, normal}}, true},
		{"isolate several", apexcentral.ActIsolate, apexcentral.AgentTarget{Product: "SLF_PRODUCT_OFFICESCAN_CE"},
			[]string{client01, "492E8584-0114-694D-BF9D-44CC20141502", "492E8584-0114-694D-BF9D-44CC20141503", osceClient}, true, isolated,
			map[string][]apexcentral.IsolationStatus{"client01": {pendingI, isolated}, "client02": {pendingI, isolated},
				"client03": {pendingI, isolated}, "OSCECLIENT": {pendingI, isolated}}, false},
		{"already settled", apexcentral.ActIsolate, apexcentral.AgentTarget{HostName: "client01"}, []string{client01}, true, isolated,
			map[string][]apexcentral.IsolationStatus{"client01": {isolated}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			drv := &agentsDriver{t: t, env: env, ids: tc.ids, ok: tc.ok}
			c := newClient(t, env, func(c *apexcentral.Config) { c.Transport.Sleep = drv.Sleep })
			acted, err := c.Act(ctx, apexcentral.ActionRequest{Action: tc.action, Target: tc.target, AllowMultipleMatch: true})
			if err != nil {
				t.Fatalf("Act: %v", err)
			}
			ids := make([]string, len(acted))
			for i, a := range acted {
				ids[i] = a.EntityID
			}
			var rec statuses
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			got, err := c.WaitAllSettled(wctx, ids, apexcentral.WaitOptions{Interval: 5 * time.Second, Progress: rec.Progress, Want: tc.want})
			var unexpected *apexcentral.UnexpectedStatusError
			if tc.unwanted {
				if !errors.As(err, &unexpected) || unexpected.Want != tc.want {
					t.Fatalf("error %v, want an *UnexpectedStatusError", err)
				}
			} else if err != nil {
				t.Fatalf("WaitAllSettled: %v", err)
			}
			if len(got) != len(ids) {
				t.Fatalf("%d agents back, want %d", len(got), len(ids))
			}
			if diff := cmp.Diff(tc.seen, rec.seen); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
			for _, w := range drv.waits {
				if w != 5*time.Second {
					t.Errorf("waited %v, want the 5 s interval", w)
				}
			}
		})
	}
}

func TestWaitBounded(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	t.Run("the context's deadline ends the wait", func(t *testing.T) {
		// The agent never checks in; the sleeper waits for real, and the
		// deadline comes first.
		c := newClient(t, env)
		if _, err := c.Isolate(ctx, apexcentral.AgentTarget{HostName: "client02"}, false); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		polls := 0
		start := time.Now()
		a, err := c.WaitSettled(wctx, "492E8584-0114-694D-BF9D-44CC20141502", apexcentral.WaitOptions{Interval: 20 * time.Millisecond,
			Progress: func(apexcentral.Agent) { polls++ }})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want the deadline", err)
		}
		if a.HostName != "client02" || a.IsolationStatus != apexcentral.StatusIsolationPending || polls < 2 {
			t.Errorf("last seen %+v after %d polls", a, polls)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the wait took %v past a 150 ms deadline", d)
		}
	})
	t.Run("an uninstalled agent is not found", func(t *testing.T) {
		drv := &agentsDriver{t: t, env: env, ids: []string{"492E8584-0114-694D-BF9D-44CC20141503"}, ok: true}
		c := newClient(t, env, func(c *apexcentral.Config) { c.Transport.Sleep = drv.Sleep })
		if _, err := c.Isolate(ctx, apexcentral.AgentTarget{HostName: "client03"}, false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Uninstall(ctx, apexcentral.AgentTarget{HostName: "client03"}, false); err != nil {
			t.Fatal(err)
		}
		_, err := c.WaitSettled(ctx, "492E8584-0114-694D-BF9D-44CC20141503", apexcentral.WaitOptions{})
		if !errors.Is(err, apexcentral.ErrAgentNotFound) {
			t.Fatalf("error %v, want ErrAgentNotFound", err)
		}
	})
}
