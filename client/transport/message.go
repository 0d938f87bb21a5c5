package transport

import (
	"encoding/json"
	"strings"
)

// maxMessage is how much of a body that is not {"message": ...} an error
// quotes.
const maxMessage = 200

// Message returns what a refusal says: the "message" of a
// {"message": "..."} body, as Workload Security and Network Security send
// them, or else the start of the body itself.
func (r *Response) Message() string {
	var m struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(r.Body, &m) == nil && m.Message != nil {
		return *m.Message
	}
	s := strings.TrimSpace(string(r.Body))
	if len(s) > maxMessage {
		s = s[:maxMessage] + "..."
	}
	return s
}
