package netsec

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
	s := fmt.Sprintf("network security: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
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

// IsNotFound reports whether err is a 404 (an unknown appliance).
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409: a migration already runs on the
// appliance, or there is no upgrade or rollback to move to.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// ErrNoMigration is returned by WaitMigration when the appliance has no
// migration to wait for.
var ErrNoMigration = errors.New("network security: the appliance has no migration")

// MigrationFailedError is a migration that finished without success; its
// Status says at which step and why.
type MigrationFailedError struct {
	Status MigrationStatus
}

func (e *MigrationFailedError) Error() string {
	s := e.Status
	return fmt.Sprintf("network security: %s of appliance %d ended %q at step %d/%d (%s): %s",
		s.Action, s.ApplianceID, s.Result, s.CurrentStep, s.TotalSteps, s.State, s.Message)
}

func errorOf(method, path string, resp *transport.Response) *Error {
	return &Error{Method: method, Path: path, StatusCode: resp.StatusCode, Attempts: resp.Attempts, Message: resp.Message()}
}
