package netsec

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/client/transport"
)

// MigrationVersions says which versions an appliance can move to.
type MigrationVersions struct {
	BaseVersion string `json:"baseVersion"`
	// State is "upToDate", "outOfDate" or "unknown".
	State string `json:"state"`
	// Permission is what the calling key may do: "write" or "read".
	Permission string `json:"permission"`
	// Upgrade and Rollback are the versions offered, nil when none.
	Upgrade  *string `json:"upgrade"`
	Rollback *string `json:"rollback"`
}

// MigrationVersions reads what appliance id can move to (GET
// /api/migrationversions?applianceId=id).
func (c *Client) MigrationVersions(ctx context.Context, id int64) (MigrationVersions, error) {
	var out MigrationVersions
	q := url.Values{"applianceId": {strconv.FormatInt(id, 10)}}
	_, err := c.call(ctx, http.MethodGet, "/migrationversions", q, nil, transport.ByMethod, &out)
	return out, err
}

// MigrationAction is an upgrade or a rollback.
type MigrationAction string

// The two migrations.
const (
	Upgrade  MigrationAction = "upgrade"
	Rollback MigrationAction = "rollback"
)

type migrationRequest struct {
	Action      MigrationAction `json:"action"`
	ApplianceID int64           `json:"applianceId"`
}

// StartMigration starts an upgrade or a rollback of appliance id (POST
// /api/appliancemigrations; 202 with no body). The work runs in the
// background: follow it with MigrationStatuses or WaitMigration. A
// migration already running, or nothing to move to, is a 409 *Error; a
// read-only key a 403. It is never retried once the server may have seen
// it.
func (c *Client) StartMigration(ctx context.Context, action MigrationAction, id int64) error {
	if action != Upgrade && action != Rollback {
		return fmt.Errorf("network security: migration action %q is neither upgrade nor rollback", action)
	}
	_, err := c.call(ctx, http.MethodPost, "/appliancemigrations", nil, migrationRequest{Action: action, ApplianceID: id}, transport.NotIdempotent, nil)
	return err
}

// MigrationStatus is the progress of an appliance's latest migration.
type MigrationStatus struct {
	ApplianceID int64           `json:"applianceId"`
	Action      MigrationAction `json:"action"`
	CurrentStep int             `json:"currentStep"`
	// TotalSteps may be 0 mid-way on the vendor's service.
	TotalSteps int    `json:"totalSteps"`
	State      string `json:"state"`
	// Result is "" while the migration runs, then "success" or "fail".
	Result  string `json:"result"`
	Message string `json:"message"`
	// Time is the step's time in Unix ms (may be 0 on the vendor's
	// service).
	Time int64 `json:"time"`
}

// Done reports whether the migration has finished.
func (s MigrationStatus) Done() bool { return s.Result != "" }

// Succeeded reports whether it finished with success.
func (s MigrationStatus) Succeeded() bool { return s.Result == "success" }

type statusList struct {
	Statuses []MigrationStatus `json:"statuses"`
}

// MigrationStatuses reads the latest migration of each appliance in ids
// (GET /api/appliancemigrations?applianceIds=1,2), or of every appliance
// that has one when ids is empty.
func (c *Client) MigrationStatuses(ctx context.Context, ids ...int64) ([]MigrationStatus, error) {
	q := url.Values{}
	if len(ids) > 0 {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.FormatInt(id, 10)
		}
		q.Set("applianceIds", strings.Join(parts, ","))
	}
	var out statusList
	if _, err := c.call(ctx, http.MethodGet, "/appliancemigrations", q, nil, transport.ByMethod, &out); err != nil {
		return nil, err
	}
	return out.Statuses, nil
}
