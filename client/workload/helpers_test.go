package workload_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/client/workload"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var ctx = context.Background()

// newClient returns a client of env's server, changed by edit; it holds no
// credentials unless edit gives some.
func newClient(t *testing.T, env *servertest.Env, edit ...func(*workload.Config)) *workload.Client {
	t.Helper()
	cfg := workload.Config{BaseURL: env.URL, Transport: transport.Options{Now: env.Clock.Now}}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := workload.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// keyClient is newClient authenticated with env's Full Access key.
func keyClient(t *testing.T, env *servertest.Env) *workload.Client {
	t.Helper()
	return newClient(t, env, func(c *workload.Config) { c.APIKey = env.APISecret })
}

// clockSleeper waits by moving the server's clock, and records the waits.
type clockSleeper struct {
	env   *servertest.Env
	mu    sync.Mutex
	waits []time.Duration
}

func (s *clockSleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	s.env.Clock.Advance(d)
	return ctx.Err()
}
