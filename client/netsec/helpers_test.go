package netsec_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var ctx = context.Background()

// The demo's versions (seed 004).
const (
	oldVersion = "2021.3.0.10968"
	newVersion = "2021.4.1.10996"
	stepTime   = 3 * time.Second // the server's default migration step
)

func newClient(t *testing.T, env *servertest.Env, edit ...func(*netsec.Config)) *netsec.Client {
	t.Helper()
	cfg := netsec.Config{BaseURL: env.URL, APIKey: env.APISecret, Transport: transport.Options{Now: env.Clock.Now}}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := netsec.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// migrationDriver is the poller's sleeper in these tests: each "wait"
// moves the server's clock one step time on and runs the migration runner
// once, so that every wait lets each running migration take one step.
type migrationDriver struct {
	t     *testing.T
	env   *servertest.Env
	mu    sync.Mutex
	waits []time.Duration
}

func (d *migrationDriver) Sleep(ctx context.Context, wait time.Duration) error {
	d.mu.Lock()
	d.waits = append(d.waits, wait)
	d.mu.Unlock()
	d.env.Clock.Advance(stepTime)
	if _, err := d.env.Server.Appliances.Tick(ctx, "sdk-test-runner", stepTime); err != nil {
		d.t.Errorf("tick: %v", err)
	}
	return ctx.Err()
}
