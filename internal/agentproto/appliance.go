package agentproto

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/rampart-sec/rampart/internal/appliances"
)

// The appliance half of the protocol, version 1.
const (
	ApplianceCheckInPath = "/agent/v1/appliances/checkin"
	ApplianceReportPath  = "/agent/v1/appliances/report"
)

// ApplianceCheckInRequest is what an appliance sends every interval.
type ApplianceCheckInRequest struct {
	ApplianceID int64  `json:"appliance_id"`
	Version     string `json:"version,omitempty"`
}

// ApplianceCheckInResponse hands the appliance its running migration.
type ApplianceCheckInResponse struct {
	Migration *ApplianceMigration `json:"migration"`
}

// ApplianceMigration is the migration an appliance takes part in. When
// Awaiting is set, the appliance must carry out Step and report it.
type ApplianceMigration struct {
	ID        int64  `json:"id"`
	Action    string `json:"action"`
	Step      int    `json:"step"`
	State     string `json:"state"`
	Message   string `json:"message"`
	ToVersion string `json:"to_version"`
	Awaiting  bool   `json:"awaiting"`
}

// ApplianceReportRequest reports a step the appliance carried out.
type ApplianceReportRequest struct {
	ApplianceID int64  `json:"appliance_id"`
	MigrationID int64  `json:"migration_id"`
	Step        int    `json:"step"`
	OK          bool   `json:"ok"`
	Message     string `json:"message,omitempty"`
}

func (h *Handler) decodeAppliance(w http.ResponseWriter, r *http.Request, v any, id func() int64) bool {
	if !h.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, Error{"missing or wrong agent token"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, Error{"body is not a valid request: " + err.Error()})
		return false
	}
	if id() <= 0 {
		writeJSON(w, http.StatusBadRequest, Error{"appliance_id is required"})
		return false
	}
	return true
}

// ApplianceCheckIn serves POST /agent/v1/appliances/checkin.
func (h *Handler) ApplianceCheckIn(w http.ResponseWriter, r *http.Request) {
	var req ApplianceCheckInRequest
	if !h.decodeAppliance(w, r, &req, func() int64 { return req.ApplianceID }) {
		return
	}
	m, running, err := h.Appliances.CheckIn(r.Context(), req.ApplianceID)
	if err != nil {
		h.applianceFail(w, r, err)
		return
	}
	resp := ApplianceCheckInResponse{}
	if running {
		resp.Migration = &ApplianceMigration{ID: m.ID, Action: string(m.Action), Step: m.Step, State: m.State, Message: m.Message,
			ToVersion: m.To, Awaiting: m.Awaiting}
	}
	writeJSON(w, http.StatusOK, resp)
}

// ApplianceReport serves POST /agent/v1/appliances/report.
func (h *Handler) ApplianceReport(w http.ResponseWriter, r *http.Request) {
	var req ApplianceReportRequest
	if !h.decodeAppliance(w, r, &req, func() int64 { return req.ApplianceID }) {
		return
	}
	if err := h.Appliances.ReportStep(r.Context(), req.ApplianceID, req.MigrationID, req.Step, req.OK, req.Message); err != nil {
		h.applianceFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) applianceFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, appliances.ErrNotFound):
		writeJSON(w, http.StatusNotFound, Error{"unknown appliance"})
	case errors.Is(err, appliances.ErrStale):
		writeJSON(w, http.StatusConflict, Error{"the migration is not awaiting this step"})
	default:
		h.Log.ErrorContext(r.Context(), "appliance protocol request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, Error{"internal error"})
	}
}

// ApplianceCheckIn asks for the appliance's running migration (nil when
// none).
func (c *Client) ApplianceCheckIn(ctx context.Context, req ApplianceCheckInRequest) (*ApplianceMigration, error) {
	var resp ApplianceCheckInResponse
	if err := c.post(ctx, ApplianceCheckInPath, req, &resp); err != nil {
		return nil, err
	}
	return resp.Migration, nil
}

// ApplianceReport reports a step the appliance carried out.
func (c *Client) ApplianceReport(ctx context.Context, req ApplianceReportRequest) error {
	return c.post(ctx, ApplianceReportPath, req, nil)
}
