package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rampart-sec/rampart/internal/appliances"
)

const appliancesPath = Base + "/appliances"

// stepView is one step of a migration as the page lists it.
type stepView struct {
	Number  int    `json:"number"`
	Label   string `json:"label"`
	State   string `json:"state"`
	Status  string `json:"status"` // done, current, waiting, failed, todo
	Summary string `json:"summary"`
}

// migrationView is a migration as the pages show and poll it.
type migrationView struct {
	ID          int64      `json:"id"`
	ApplianceID int64      `json:"appliance_id"`
	Action      string     `json:"action"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	Step        int        `json:"step"`
	TotalSteps  int        `json:"total_steps"`
	State       string     `json:"state"`
	Result      string     `json:"result"`
	Message     string     `json:"message"`
	Running     bool       `json:"running"`
	Awaiting    bool       `json:"awaiting"`
	Summary     string     `json:"summary"`
	Steps       []stepView `json:"steps"`
	Time        string     `json:"time"`
}

func viewMigration(m appliances.Migration) *migrationView {
	v := &migrationView{ID: m.ID, ApplianceID: m.ApplianceID, Action: string(m.Action), From: m.From, To: m.To, Step: m.Step,
		TotalSteps: m.TotalSteps, State: m.State, Result: m.Result, Message: m.Message, Running: !m.Done(), Awaiting: m.Awaiting,
		Time: m.StepAt.UTC().Format("2006-01-02 15:04:05 UTC")}
	for i, st := range appliances.Steps[m.Action] {
		n := i + 1
		sv := stepView{Number: n, Label: st.Message, State: st.State}
		switch {
		case n < m.Step, n == m.Step && m.Result == "success":
			sv.Status, sv.Summary = "done", "done"
		case n == m.Step && m.Result == "fail":
			sv.Status, sv.Summary = "failed", "failed"
		case n == m.Step && m.Awaiting:
			sv.Status, sv.Summary = "waiting", "waiting for the appliance"
		case n == m.Step:
			sv.Status, sv.Summary = "current", "in progress"
		default:
			sv.Status, sv.Summary = "todo", "not started"
		}
		if m.Result == "fail" && n > m.Step {
			sv.Summary = "skipped"
		}
		v.Steps = append(v.Steps, sv)
	}
	switch m.Result {
	case "success":
		v.Summary = fmt.Sprintf("%s to %s finished: success", m.Action, m.To)
	case "fail":
		v.Summary = fmt.Sprintf("%s to %s failed at step %d of %d", m.Action, m.To, m.Step, m.TotalSteps)
	default:
		v.Summary = fmt.Sprintf("%s to %s: step %d of %d, %s", m.Action, m.To, m.Step, m.TotalSteps, m.Message)
	}
	return v
}

// applianceRow is one appliance with its versions and latest migration.
type applianceRow struct {
	appliances.Appliance
	Versions  appliances.Versions
	Migration *migrationView
}

func (c *Console) applianceRows(r *http.Request, ids ...int64) ([]applianceRow, error) {
	var list []appliances.Appliance
	if len(ids) == 0 {
		all, err := c.appliances.List(r.Context())
		if err != nil {
			return nil, err
		}
		list = all
	}
	for _, id := range ids {
		a, err := c.appliances.Get(r.Context(), id)
		if errors.Is(err, appliances.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	rows := make([]applianceRow, 0, len(list))
	for _, a := range list {
		v, err := c.appliances.VersionsOf(r.Context(), a.ID)
		if err != nil {
			return nil, err
		}
		row := applianceRow{Appliance: a, Versions: v}
		ms, err := c.appliances.Latest(r.Context(), []int64{a.ID})
		if err != nil {
			return nil, err
		}
		if len(ms) == 1 {
			row.Migration = viewMigration(ms[0])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type appliancesPage struct {
	Appliances []applianceRow
	Running    bool
}

// Appliances serves the appliances, their versions and latest migrations.
func (c *Console) Appliances(w http.ResponseWriter, r *http.Request, op *Operator) {
	rows, err := c.applianceRows(r)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	p := appliancesPage{Appliances: rows}
	for _, a := range rows {
		p.Running = p.Running || (a.Migration != nil && a.Migration.Running)
	}
	c.render(w, r, http.StatusOK, "appliances", view{Title: "Appliances", Nav: "appliances", Op: op, Data: p})
}

// AppliancesJSON serves every appliance's latest migration, for polling.
func (c *Console) AppliancesJSON(w http.ResponseWriter, r *http.Request, op *Operator) {
	rows, err := c.applianceRows(r)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	out := []*migrationView{}
	for _, a := range rows {
		if a.Migration != nil {
			out = append(out, a.Migration)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"migrations": out})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// Appliance serves one appliance: versions, upgrade and rollback, and its
// latest migration step by step (the page polls ApplianceJSON while it
// runs).
func (c *Console) Appliance(w http.ResponseWriter, r *http.Request, op *Operator) {
	id, ok := pathID(r)
	var rows []applianceRow
	var err error
	if ok {
		rows, err = c.applianceRows(r, id)
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if len(rows) != 1 {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no appliance "+r.PathValue("id")+".")
		return
	}
	c.render(w, r, http.StatusOK, "appliance", view{Title: fmt.Sprintf("Appliance %d", id), Nav: "appliances", Op: op, Data: rows[0]})
}

// ApplianceJSON serves one appliance's versions and latest migration.
func (c *Console) ApplianceJSON(w http.ResponseWriter, r *http.Request, op *Operator) {
	id, ok := pathID(r)
	var rows []applianceRow
	var err error
	if ok {
		rows, err = c.applianceRows(r, id)
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if len(rows) != 1 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such appliance"})
		return
	}
	a := rows[0]
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "version": a.Version, "upgrade": a.Versions.Upgrade,
		"rollback": a.Versions.Rollback, "migration": a.Migration})
}

// Migrate serves upgrade and rollback: the same call as the Network
// Security API's POST /api/appliancemigrations.
func (c *Console) Migrate(w http.ResponseWriter, r *http.Request, op *Operator) {
	id, ok := pathID(r)
	if !ok {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no appliance "+r.PathValue("id")+".")
		return
	}
	back := fmt.Sprintf("%s/%d", appliancesPath, id)
	action := appliances.Action(r.PostForm.Get("action"))
	err := c.appliances.Start(r.Context(), id, action)
	switch {
	case errors.Is(err, appliances.ErrNotFound):
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no appliance "+r.PathValue("id")+".")
		return
	case errors.Is(err, appliances.ErrInvalid):
		done(w, r, back, "error", "The action must be upgrade or rollback.")
		return
	case errors.Is(err, appliances.ErrBusy):
		done(w, r, back, "error", "Another migration is running on this appliance: wait for it to finish.")
		return
	case errors.Is(err, appliances.ErrNoUpgrade):
		done(w, r, back, "error", "There is no upgrade for this appliance: it is up to date.")
		return
	case errors.Is(err, appliances.ErrNoRollback):
		done(w, r, back, "error", "There is no version to roll back to.")
		return
	case err != nil:
		c.internal(w, r, err)
		return
	}
	c.log.InfoContext(r.Context(), "console: appliance migration started", "appliance", id, "action", string(action), "admin", op.Principal.AdminID)
	word := "Upgrade"
	if action == appliances.Rollback {
		word = "Rollback"
	}
	done(w, r, back, "ok", fmt.Sprintf("%s of appliance %d started.", word, id))
}
