package agentproto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrUnknownAgent is returned when the server no longer knows the agent
// (it was uninstalled).
var ErrUnknownAgent = errors.New("server does not know this agent")

// Client is an agent's side of the protocol.
type Client struct {
	BaseURL string // e.g. https://127.0.0.1:8443
	Token   string
	HTTP    *http.Client
}

// CheckIn asks for the agent's queued commands.
func (c *Client) CheckIn(ctx context.Context, req CheckInRequest) ([]Command, error) {
	var resp CheckInResponse
	if err := c.post(ctx, CheckInPath, req, &resp); err != nil {
		return nil, err
	}
	return resp.Commands, nil
}

// Report sends command results.
func (c *Client) Report(ctx context.Context, req ResultsRequest) error {
	return c.post(ctx, ResultsPath, req, nil)
}

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding %s request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building %s request: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading %s answer: %w", path, err)
	}
	if resp.StatusCode == http.StatusNotFound && path == CheckInPath {
		return ErrUnknownAgent
	}
	if resp.StatusCode >= 300 {
		var e Error
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("%s answered %d: %s", path, resp.StatusCode, e.Error)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding %s answer: %w", path, err)
		}
	}
	return nil
}
