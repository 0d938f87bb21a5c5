package transport_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/transport"
)

// TestDeadlines checks that every call is bounded by its context: a server
// that never answers, and a Retry-After that would outlast the deadline.
func TestDeadlines(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(busy.Close)

	t.Run("server never answers", func(t *testing.T) {
		t.Parallel()
		c, err := transport.New(hang.URL, transport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = c.Do(ctx, &transport.Request{Method: "GET", Path: "/"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want the context's deadline", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the call took %v past a 100 ms deadline", d)
		}
	})
	t.Run("Retry-After past the deadline returns the answer at once", func(t *testing.T) {
		t.Parallel()
		sl := &sleeper{}
		c, err := transport.New(busy.URL, transport.Options{Sleep: sl.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.Do(ctx, &transport.Request{Method: "GET", Path: "/"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusTooManyRequests || resp.Attempts != 1 || len(sl.Waits()) != 0 {
			t.Errorf("status %d after %d attempts and waits %v; want the 429 at once", resp.StatusCode, resp.Attempts, sl.Waits())
		}
	})
	t.Run("a cancelled wait ends the call", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		c, err := transport.New(busy.URL, transport.Options{Sleep: func(ctx context.Context, d time.Duration) error {
			cancel() // the caller gives up while the client waits
			return transport.SleepContext(ctx, d)
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(ctx, &transport.Request{Method: "GET", Path: "/"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}
