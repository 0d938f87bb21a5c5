package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewCredentials returns a fresh application ID and API key without
// storing anything. The console's Automation API Access Settings screen
// shows them as soon as Add is clicked, before the operator names the
// application and clicks Save; AddWithCredentials then stores them.
func (s *Service) NewCredentials() (id, apiKey string) {
	return s.newID(), newAPIKey()
}

// AddWithCredentials creates an application with an ID and API key that
// NewCredentials made (the caller vouches for that: the console carries
// them through its form under a MAC). It is Add with the credentials
// chosen beforehand: the same checks, the same sealing, the same store
// call. The key is returned in plaintext once more, as Add returns it.
func (s *Service) AddWithCredentials(ctx context.Context, id, apiKey, name string, timeout time.Duration, enabled bool) (Application, error) {
	id, apiKey = normID(id), strings.TrimSpace(apiKey)
	if _, err := uuid.Parse(id); err != nil || id == "" {
		return Application{}, fmt.Errorf("%w: the application ID is not a GUID", ErrInvalid)
	}
	if _, err := uuid.Parse(apiKey); err != nil || apiKey != strings.ToUpper(apiKey) {
		return Application{}, fmt.Errorf("%w: the API key is not in the console's format", ErrInvalid)
	}
	return s.create(ctx, id, apiKey, name, timeout, enabled)
}
