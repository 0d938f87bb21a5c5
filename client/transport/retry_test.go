package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/client/transport"
)

// answer is one scripted answer of the injecting server.
type answer struct {
	status     int
	retryAfter string
}

// script is a server that answers the i-th request with answers[i] (the
// last one again when there are more requests), and records what it got.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
	auths   []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.bodies)
	s.bodies = append(s.bodies, string(body))
	s.auths = append(s.auths, r.Header.Get("Authorization"))
	a := s.answers[min(i, len(s.answers)-1)]
	s.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, `{"n":`+strconv.Itoa(i)+`}`)
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name     string
		method   string
		idem     transport.Idempotency
		answers  []answer
		status   int
		attempts int
		waits    []time.Duration
	}{
		{"GET 503 twice then 200", "GET", transport.ByMethod, []answer{{503, ""}, {503, ""}, {200, ""}}, 200, 3, []time.Duration{375 * ms, 750 * ms}},
		{"GET 429 Retry-After seconds", "GET", transport.ByMethod, []answer{{429, "7"}, {200, ""}}, 200, 2, []time.Duration{7 * time.Second}},
		{"GET 503 Retry-After date", "GET", transport.ByMethod, []answer{{503, fixedNow.Add(10 * time.Second).Format(http.TimeFormat)}, {200, ""}}, 200, 2, []time.Duration{10 * time.Second}},
		{"GET 503 Retry-After date in the past", "GET", transport.ByMethod, []answer{{503, fixedNow.Add(-time.Hour).Format(http.TimeFormat)}, {200, ""}}, 200, 2, []time.Duration{0}},
		{"GET 503 Retry-After unreadable uses back-off", "GET", transport.ByMethod, []answer{{503, "soon"}, {200, ""}}, 200, 2, []time.Duration{375 * ms}},
		{"GET 500 until the attempts run out", "GET", transport.ByMethod, []answer{{500, ""}}, 500, 4, []time.Duration{375 * ms, 750 * ms, 1500 * ms}},
		{"GET 404 not retried", "GET", transport.ByMethod, []answer{{404, ""}, {200, ""}}, 404, 1, nil},
		{"GET 501 not retried", "GET", transport.ByMethod, []answer{{501, ""}, {200, ""}}, 501, 1, nil},
		{"GET 429 Retry-After over the cap not waited", "GET", transport.ByMethod, []answer{{429, "3600"}, {200, ""}}, 429, 1, nil},
		{"DELETE 504 retried", "DELETE", transport.ByMethod, []answer{{504, ""}, {204, ""}}, 204, 2, []time.Duration{375 * ms}},
		{"POST 503 not retried", "POST", transport.ByMethod, []answer{{503, ""}, {200, ""}}, 503, 1, nil},
		{"POST 500 not retried", "POST", transport.ByMethod, []answer{{500, ""}, {200, ""}}, 500, 1, nil},
		{"POST 502 with Retry-After not retried", "POST", transport.ByMethod, []answer{{502, "1"}, {200, ""}}, 502, 1, nil},
		{"POST 429 retried", "POST", transport.ByMethod, []answer{{429, "1"}, {201, ""}}, 201, 2, []time.Duration{time.Second}},
		{"POST 429 without Retry-After backs off", "POST", transport.ByMethod, []answer{{429, ""}, {429, ""}, {202, ""}}, 202, 3, []time.Duration{375 * ms, 750 * ms}},
		{"POST marked idempotent 502 retried", "POST", transport.Idempotent, []answer{{502, ""}, {200, ""}}, 200, 2, []time.Duration{375 * ms}},
		{"PUT marked not idempotent 503 not retried", "PUT", transport.NotIdempotent, []answer{{503, ""}, {200, ""}}, 503, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &script{answers: tc.answers}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			sl := &sleeper{}
			c, err := transport.New(srv.URL, transport.Options{Sleep: sl.Sleep, Rand: half, Now: func() time.Time { return fixedNow }})
			if err != nil {
				t.Fatal(err)
			}
			var signed atomic.Int32
			body := []byte(`{"act":"cmd_isolate_agent"}`)
			resp, err := c.Do(context.Background(), &transport.Request{Method: tc.method, Path: "/x", Body: body, Idempotency: tc.idem,
				Authorize: func(r *http.Request, b []byte) error {
					n := signed.Add(1)
					r.Header.Set("Authorization", "attempt "+strconv.Itoa(int(n))+" "+string(b))
					return nil
				}})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.StatusCode != tc.status || resp.Attempts != tc.attempts {
				t.Errorf("status %d after %d attempts, want %d after %d", resp.StatusCode, resp.Attempts, tc.status, tc.attempts)
			}
			if diff := cmp.Diff(tc.waits, sl.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.bodies) != tc.attempts {
				t.Errorf("server got %d requests, want %d", len(s.bodies), tc.attempts)
			}
			for i := range s.bodies {
				if s.bodies[i] != string(body) {
					t.Errorf("attempt %d carried body %q, want %q", i+1, s.bodies[i], body)
				}
				// Authorize ran again for each attempt, with the body.
				if want := "attempt " + strconv.Itoa(i+1) + " " + string(body); s.auths[i] != want {
					t.Errorf("attempt %d Authorization %q, want %q", i+1, s.auths[i], want)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := transport.RetryPolicy{BaseDelay: time.Second, MaxDelay: 10 * time.Second}
	cases := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, 9999995 * time.Microsecond / 10},
		{2, 0, time.Second},
		{3, 0.5, 3 * time.Second},
		{4, 0, 4 * time.Second},
		{5, 0, 5 * time.Second}, // capped at 10 s: 5 to 10
		{5, 0.999999, 9999995 * time.Microsecond},
		{60, 0, 5 * time.Second},
	}
	for _, tc := range cases {
		if got := p.Backoff(tc.n, tc.r); got != tc.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.n, tc.r, got, tc.want)
		}
	}
}

// TestConnectionFailures checks retries when no answer came: a call the
// server cannot have seen (the dial failed) is retried whatever its
// method; a POST whose request was written is not.
func TestConnectionFailures(t *testing.T) {
	t.Parallel()
	var served atomic.Int32
	drop := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if drop.Load() {
			// Read the request, then hang up without answering.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	// failingDialer fails its first dial, as a refused connection does.
	newClient := func(t *testing.T, failFirstDial bool) (*transport.Client, *sleeper) {
		t.Helper()
		var dials atomic.Int32
		tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if failFirstDial && dials.Add(1) == 1 {
				return nil, errors.New("connection refused (injected)")
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		sl := &sleeper{}
		c, err := transport.New(srv.URL, transport.Options{HTTPClient: &http.Client{Transport: tr}, Sleep: sl.Sleep, Rand: half})
		if err != nil {
			t.Fatal(err)
		}
		return c, sl
	}

	t.Run("POST after a failed dial is retried", func(t *testing.T) {
		served.Store(0)
		c, sl := newClient(t, true)
		resp, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/p", Body: []byte(`{}`)})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.StatusCode != 200 || resp.Attempts != 2 || served.Load() != 1 || len(sl.Waits()) != 1 {
			t.Errorf("status %d, attempts %d, served %d, waits %v; want 200, 2, 1, one wait", resp.StatusCode, resp.Attempts, served.Load(), sl.Waits())
		}
	})
	t.Run("POST dropped after it was written is not retried", func(t *testing.T) {
		served.Store(0)
		drop.Store(true)
		defer drop.Store(false)
		c, sl := newClient(t, false)
		_, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/p", Body: []byte(`{}`)})
		if err == nil {
			t.Fatal("Do succeeded on a dropped connection")
		}
		if served.Load() != 1 || len(sl.Waits()) != 0 {
			t.Errorf("served %d times, waits %v; want once, no wait", served.Load(), sl.Waits())
		}
	})
	t.Run("GET dropped is retried", func(t *testing.T) {
		served.Store(0)
		drop.Store(true)
		defer drop.Store(false)
		c, sl := newClient(t, false)
		_, err := c.Do(context.Background(), &transport.Request{Method: "GET", Path: "/g"})
		if err == nil {
			t.Fatal("Do succeeded on a dropped connection")
		}
		if served.Load() < 4 || len(sl.Waits()) != 3 {
			t.Errorf("served %d times, waits %v; want 4 attempts and 3 waits", served.Load(), sl.Waits())
		}
	})
}

// TestAuthorizeFailure checks that a request that cannot be authorized is
// neither sent nor retried.
func TestAuthorizeFailure(t *testing.T) {
	t.Parallel()
	s := &script{answers: []answer{{200, ""}}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sl := &sleeper{}
	c, err := transport.New(srv.URL, transport.Options{Sleep: sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("no credentials")
	_, err = c.Do(context.Background(), &transport.Request{Method: "GET", Path: "/", Authorize: func(*http.Request, []byte) error { return boom }})
	if !errors.Is(err, boom) || len(sl.Waits()) != 0 || len(s.bodies) != 0 {
		t.Errorf("error %v, waits %v, %d requests; want the error at once and nothing sent", err, sl.Waits(), len(s.bodies))
	}
}
