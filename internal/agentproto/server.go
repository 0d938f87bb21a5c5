package agentproto

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/fleet"
)

// Handler serves the protocol's two calls.
type Handler struct {
	Fleet      *fleet.Service
	Appliances *appliances.Service
	// Token is the shared secret agents present as "Authorization: Bearer".
	Token string
	Log   *slog.Logger
}

// CheckIn serves POST /agent/v1/checkin.
func (h *Handler) CheckIn(w http.ResponseWriter, r *http.Request) {
	var req CheckInRequest
	if !h.decode(w, r, &req) {
		return
	}
	cmds, err := h.Fleet.CheckIn(r.Context(), req.AgentID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := CheckInResponse{Commands: []Command{}}
	for _, c := range cmds {
		resp.Commands = append(resp.Commands, Command{ID: c.ID, Kind: string(c.Kind), Params: c.Params})
	}
	writeJSON(w, http.StatusOK, resp)
}

// Results serves POST /agent/v1/results.
func (h *Handler) Results(w http.ResponseWriter, r *http.Request) {
	var req ResultsRequest
	if !h.decode(w, r, &req) {
		return
	}
	results := make([]fleet.Result, len(req.Results))
	for i, res := range req.Results {
		results[i] = fleet.Result{CommandID: res.CommandID, OK: res.OK, Message: res.Message}
	}
	if err := h.Fleet.Report(r.Context(), req.AgentID, results); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v interface{ agentID() string }) bool {
	if !h.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, Error{"missing or wrong agent token"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, Error{"body is not a valid request: " + err.Error()})
		return false
	}
	if strings.TrimSpace(v.agentID()) == "" {
		writeJSON(w, http.StatusBadRequest, Error{"agent_id is required"})
		return false
	}
	return true
}

func (r *CheckInRequest) agentID() string { return r.AgentID }
func (r *ResultsRequest) agentID() string { return r.AgentID }

func (h *Handler) authorized(r *http.Request) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(token), []byte(h.Token)) == 1
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fleet.ErrAgentNotFound):
		writeJSON(w, http.StatusNotFound, Error{"unknown agent"})
	case errors.Is(err, fleet.ErrCommandNotFound):
		writeJSON(w, http.StatusNotFound, Error{"unknown command for this agent"})
	case errors.Is(err, fleet.ErrCommandNotDelivered):
		writeJSON(w, http.StatusConflict, Error{"command is not awaiting a result"})
	default:
		h.Log.ErrorContext(r.Context(), "agent protocol request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, Error{"internal error"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
