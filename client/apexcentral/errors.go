package apexcentral

import (
	"errors"
	"fmt"
	"strings"
)

// ResultCode is the envelope's result_code.
type ResultCode int

// The result codes of the published table (Control Manager 7.0, inherited
// by Apex Central). Branch on these, not on descriptions.
const (
	CodeSuccess            ResultCode = 1
	CodeTokenNotSet        ResultCode = -2
	CodeTokenMalformed     ResultCode = -3
	CodeTokenVersion       ResultCode = -4
	CodeInvalidAppID       ResultCode = -5
	CodeTokenExpired       ResultCode = -6
	CodeInvalidSignature   ResultCode = -7
	CodeInvalidChecksum    ResultCode = -8
	CodeUnsupportedAlg     ResultCode = -9
	CodeInvalidParameter   ResultCode = -21
	CodeInvalidOperation   ResultCode = -22
	CodeMethodUnsupported  ResultCode = -50
	CodeInternalError      ResultCode = -99
	CodeMultipleMatch      ResultCode = -102
	CodeTargetNotFound     ResultCode = -105
	CodeTargetNotSupported ResultCode = -107
)

// Error is a call Apex Central refused or could not answer: a result_code
// other than 1, or an answer that is not the envelope (ResultCode 0).
type Error struct {
	// Method and Path name the call.
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// ResultCode is the envelope's result_code; 0 when the answer had no
	// envelope (a proxy's error page, say).
	ResultCode ResultCode
	// Description is result_description, or the start of a body that was
	// not an envelope.
	Description string
	// AuthDetail is Rampart's X-Rampart-Auth-Detail header: why a token
	// was refused (the iat against the server's clock, or the exact string
	// the server hashed). It never holds the key.
	AuthDetail string
	// Attempts is how many times the call was sent.
	Attempts int
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apex central: %s %s: ", e.Method, e.Path)
	if e.ResultCode != 0 {
		fmt.Fprintf(&b, "result_code %d (HTTP %d)", int(e.ResultCode), e.StatusCode)
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.AuthDetail != "" {
		b.WriteString(" [" + e.AuthDetail + "]")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// IsResultCode reports whether err is (or wraps) an *Error with code.
func IsResultCode(err error, code ResultCode) bool {
	var e *Error
	return errors.As(err, &e) && e.ResultCode == code
}

// ErrAgentNotFound is returned by the pollers when an agent they wait for
// is no longer listed (it was uninstalled).
var ErrAgentNotFound = errors.New("apex central: agent not found")

// ErrNoTarget is returned when an action names no agent: the server would
// refuse it, and an empty selection must never reach it.
var ErrNoTarget = errors.New("apex central: give at least one of entity_id, ip_address, mac_address, host_name, product")
