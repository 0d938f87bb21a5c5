package netsec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
)

// migrationVersions is the answer of GET /api/migrationversions; upgrade
// and rollback are null (not omitted) when there is nothing to move to, as
// the vendor shows them.
type migrationVersions struct {
	BaseVersion string  `json:"baseVersion"`
	State       string  `json:"state"`
	Permission  string  `json:"permission"`
	Upgrade     *string `json:"upgrade"`
	Rollback    *string `json:"rollback"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MigrationVersions serves GET /api/migrationversions?applianceId=N.
func (api *API) MigrationVersions(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("applianceId"), 10, 64)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "applianceId must be an appliance ID")
		return
	}
	v, err := api.Appliances.VersionsOf(r.Context(), id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := migrationVersions{BaseVersion: v.Base, State: "upToDate", Permission: "read", Upgrade: orNull(v.Upgrade), Rollback: orNull(v.Rollback)}
	if v.Upgrade != "" {
		out.State = "outOfDate"
	}
	if principalFrom(r.Context()).Authorize(identity.ManageAppliances) == nil {
		out.Permission = "write"
	}
	writeJSON(w, http.StatusOK, out)
}

type migrationRequest struct {
	Action      *string `json:"action"`
	ApplianceID *int64  `json:"applianceId"`
}

// StartMigration serves POST /api/appliancemigrations: 202 and no body.
func (api *API) StartMigration(w http.ResponseWriter, r *http.Request) {
	if err := principalFrom(r.Context()).Authorize(identity.ManageAppliances); err != nil {
		writeMessage(w, http.StatusForbidden, "Not authorized to migrate appliances: the API key's role is read-only")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid request body: %v", err)
		return
	}
	var req migrationRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid request body: %v", err)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeMessage(w, http.StatusBadRequest, "Invalid request body: data after the JSON object")
		return
	}
	if req.ApplianceID == nil {
		writeMessage(w, http.StatusBadRequest, "applianceId is required")
		return
	}
	if req.Action == nil || (*req.Action != "upgrade" && *req.Action != "rollback") {
		writeMessage(w, http.StatusBadRequest, `action must be "upgrade" or "rollback"`)
		return
	}
	audit.Qualify(r.Context(), *req.Action)
	audit.SetTarget(r.Context(), strconv.FormatInt(*req.ApplianceID, 10))
	if err := api.Appliances.Start(r.Context(), *req.ApplianceID, appliances.Action(*req.Action)); err != nil {
		api.fail(w, r, err)
		return
	}
	api.Log.InfoContext(r.Context(), "appliance migration started", "appliance", *req.ApplianceID, "action", *req.Action,
		"key", principalFrom(r.Context()).KeyID)
	w.WriteHeader(http.StatusAccepted)
}

type migrationStatus struct {
	ApplianceID int64  `json:"applianceId"`
	Action      string `json:"action"`
	CurrentStep int    `json:"currentStep"`
	TotalSteps  int    `json:"totalSteps"`
	State       string `json:"state"`
	Result      string `json:"result"`
	Message     string `json:"message"`
	Time        int64  `json:"time"`
}

type statuses struct {
	Statuses []migrationStatus `json:"statuses"`
}

// MigrationStatuses serves GET /api/appliancemigrations?applianceIds=...:
// the latest migration of each appliance asked for (all when none are).
func (api *API) MigrationStatuses(w http.ResponseWriter, r *http.Request) {
	var ids []int64
	for _, v := range r.URL.Query()["applianceIds"] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				writeMessage(w, http.StatusBadRequest, "applianceIds: %q is not an appliance ID", part)
				return
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	ms, err := api.Appliances.Latest(r.Context(), ids)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := statuses{Statuses: []migrationStatus{}}
	for _, m := range ms {
		st := migrationStatus{ApplianceID: m.ApplianceID, Action: string(m.Action), CurrentStep: m.Step, TotalSteps: m.TotalSteps,
			State: m.State, Result: m.Result, Message: m.Message, Time: m.StepAt.UnixMilli()}
		out.Statuses = append(out.Statuses, st)
	}
	writeJSON(w, http.StatusOK, out)
}
