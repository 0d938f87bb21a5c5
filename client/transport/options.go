package transport

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "rampart-go-sdk/1"

// Options configure a Client. The zero value is usable: system TLS roots,
// the default retry policy, the real clock.
type Options struct {
	// TLS says how the server's certificate is checked. It is ignored when
	// HTTPClient is set.
	TLS TLSOptions
	// Retry is the retry policy; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// HTTPClient, when set, sends the requests as it is (its transport, TLS
	// and redirect policy). When nil the Client builds one that never
	// follows redirects: a redirected POST is not resent by clients, and a
	// signed request is only valid for the path it was signed for.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header; DefaultUserAgent when empty.
	UserAgent string
	// Logger receives retries and the insecure-TLS warning. Nothing secret
	// (headers, bodies, keys) is ever logged. Nil logs nothing.
	Logger *slog.Logger
	// MaxResponseBytes bounds a response body; 32 MiB when zero.
	MaxResponseBytes int64

	// Now is the clock, used to sign requests and to read a Retry-After
	// date; time.Now when nil.
	Now func() time.Time
	// Sleep waits d or until ctx ends, whichever is first, and returns
	// ctx.Err() in the second case. It is used between retries and by the
	// pollers; a real timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the back-off jitter;
	// math/rand/v2's Float64 when nil.
	Rand func() float64
}

// withDefaults fills the unset fields.
func (o Options) withDefaults() Options {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 32 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = SleepContext
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Retry = o.Retry.withDefaults()
	return o
}

// SleepContext waits d or until ctx ends. It returns ctx.Err() when ctx
// ended first.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
