package identity

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Application is an external program allowed to call the Apex Central
// Automation API. Its API key is the HMAC key the program signs tokens with,
// so Rampart must be able to read it back: it is kept sealed in the store and
// opened only to verify a signature.
type Application struct {
	ID      string // a GUID, as the console shows it
	Name    string
	APIKey  string // plaintext; only ever set in memory
	Enabled bool
	// Timeout is the communication time-out: how far a token's iat may lie
	// from the time the request is received.
	Timeout   time.Duration
	CreatedAt time.Time
}

// TimeoutChoices are the communication time-outs the console offers, in the
// order it lists them.
var TimeoutChoices = []time.Duration{
	5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second,
	60 * time.Second, 120 * time.Second, 180 * time.Second, 300 * time.Second,
	600 * time.Second, 1800 * time.Second, 3600 * time.Second,
}

// DefaultTimeout is the time-out a new application gets when none is given.
const DefaultTimeout = 60 * time.Second

// ErrNotFound means no application has the given ID.
var ErrNotFound = errors.New("application not found")

// ErrInvalid wraps a refused application setting.
var ErrInvalid = errors.New("invalid application setting")

func validate(name string, timeout time.Duration) error {
	name = strings.TrimSpace(name) // the name is stored trimmed
	if name == "" {
		return fmt.Errorf("%w: the application name is empty", ErrInvalid)
	}
	if utf8.RuneCountInString(name) > 128 {
		return fmt.Errorf("%w: the application name is longer than 128 characters", ErrInvalid)
	}
	for _, c := range TimeoutChoices {
		if c == timeout {
			return nil
		}
	}
	return fmt.Errorf("%w: communication time-out %s is not one of %s", ErrInvalid, timeout, choicesText())
}

func choicesText() string {
	parts := make([]string, len(TimeoutChoices))
	for i, c := range TimeoutChoices {
		parts[i] = fmt.Sprintf("%d", int(c.Seconds()))
	}
	return strings.Join(parts, ", ") + " seconds"
}
