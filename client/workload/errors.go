package workload

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rampart-sec/rampart/client/transport"
)

// Error is a call the server refused: its HTTP status and the message of
// its {"message": "..."} body (or the start of a body that is not one).
type Error struct {
	Method, Path string
	StatusCode   int
	Message      string
	// Attempts is how many times the call was sent.
	Attempts int
}

func (e *Error) Error() string {
	s := fmt.Sprintf("workload security: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// StatusCode returns the HTTP status of an *Error in err's chain, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 from the server.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is a 401 (a wrong, deleted, inactive
// or expired key, a bad session, or wrong credentials).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 (the role lacks the right).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// errorOf builds the *Error of a non-2xx answer.
func errorOf(method, path string, resp *transport.Response) *Error {
	return &Error{Method: method, Path: path, StatusCode: resp.StatusCode, Attempts: resp.Attempts, Message: resp.Message()}
}
