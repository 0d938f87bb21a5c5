package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how long to retry.
type RetryPolicy struct {
	// MaxAttempts is the most times one call is sent, the first included;
	// 1 turns retries off. Zero means 4.
	MaxAttempts int
	// BaseDelay is the back-off before the first retry; each later one
	// doubles it, up to MaxDelay. The wait is drawn at random between half
	// the back-off and the whole of it (jitter), so that many clients
	// refused at once do not come back at once. Zero means 500 ms.
	BaseDelay time.Duration
	// MaxDelay caps the back-off. Zero means 30 s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client will wait; a
	// server that asks for longer gets its answer returned instead. Zero
	// means 2 minutes.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is the policy of a zero RetryPolicy.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second, MaxRetryAfter: 2 * time.Minute}

// NoRetry sends every call once.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultRetryPolicy.MaxRetryAfter
	}
	return p
}

// Backoff is the wait before retry number n (1 for the first retry), with
// r in [0, 1) choosing the jitter: between half the exponential back-off
// and the whole of it.
func (p RetryPolicy) Backoff(n int, r float64) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + time.Duration(r*float64(d-half))
}

// Idempotency says whether a call may be sent twice.
type Idempotency int

// The idempotency classes of a Request.
const (
	// ByMethod follows HTTP: GET, HEAD, OPTIONS, PUT and DELETE are
	// idempotent, POST and PATCH are not.
	ByMethod Idempotency = iota
	// Idempotent marks a call that may be repeated whatever its method,
	// such as a search sent as POST.
	Idempotent
	// NotIdempotent marks a call that must not be repeated once the server
	// may have seen it, whatever its method.
	NotIdempotent
)

// idempotent reports whether a call of method in class i may be repeated.
func (i Idempotency) idempotent(method string) bool {
	switch i {
	case Idempotent:
		return true
	case NotIdempotent:
		return false
	}
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// retryableStatus reports whether an answer with status may be retried:
// 429 always (the server did not carry the call out), a server error only
// when the call is idempotent. 501 and 505 will not change on a retry.
func retryableStatus(status int, idempotent bool) bool {
	switch {
	case status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		return false
	case status >= 500 && status <= 599:
		return idempotent
	}
	return false
}

// retryAfter reads a Retry-After header (seconds or an HTTP date, against
// now). ok is false when there is none or it cannot be read.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// permanent reports whether a transport error will not go away on a retry:
// the request could not be built or authorized, the server's certificate
// was refused (or matches no pin), or the server does not speak TLS.
func permanent(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		pin      *PinError
		record   tls.RecordHeaderError
		local    final
	)
	return errors.As(err, &local) || errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &pin) || errors.As(err, &record)
}
