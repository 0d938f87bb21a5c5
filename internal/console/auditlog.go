package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
)

const auditPath = Base + "/administration/audit-log"

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 50

// auditFilter is the audit log's filter form, as the query string gives it.
type auditFilter struct {
	ActorKind, ActorID, Family, Since string
	Before                            int64
}

// query is the filter as a query string, without the page (before).
func (f auditFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor_kind": f.ActorKind, "actor_id": f.ActorID, "family": f.Family, "since": f.Since} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

type auditPage struct {
	Filter   auditFilter
	Kinds    []string
	Families []string
	Events   []audit.Event
	// Older is the link to the next, older page ("" on the last one);
	// Newest the link back to the first page ("" on the first one).
	Older, Newest string
}

// parseSince reads the since filter: a positive duration back from now
// (24h, 90m) or an RFC 3339 time, as `rampart audit --since` does.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New("“Since” must be a positive duration (24h) or an RFC 3339 time.")
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("“Since” is neither a duration (24h, 90m) nor an RFC 3339 time (2026-11-24T12:00:00Z).")
	}
	return t, nil
}

// AuditLog serves the audit trail, newest first, filtered as audit.Filter
// allows and paged with BeforeID. It changes nothing, so any signed-in
// administrator may read it.
func (c *Console) AuditLog(w http.ResponseWriter, r *http.Request, op *Operator) {
	q := r.URL.Query()
	form := auditFilter{ActorKind: strings.TrimSpace(q.Get("actor_kind")), ActorID: strings.TrimSpace(q.Get("actor_id")),
		Family: strings.TrimSpace(q.Get("family")), Since: strings.TrimSpace(q.Get("since"))}
	data := auditPage{Filter: form, Kinds: audit.Kinds(), Families: audit.Families()}
	bad := func(problem string) {
		c.render(w, r, http.StatusBadRequest, "auditlog", view{Title: "Audit log", Nav: "audit", Op: op, Error: problem, Data: data})
	}
	f := audit.Filter{ActorKind: form.ActorKind, ActorID: form.ActorID, Family: form.Family, Limit: auditPageSize + 1}
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			bad("The page asked for is not an event ID.")
			return
		}
		form.Before, f.BeforeID = id, id
	}
	if form.Since != "" {
		t, err := parseSince(form.Since, c.now())
		if err != nil {
			bad(err.Error())
			return
		}
		f.Since = t
	}
	events, err := c.audit.List(r.Context(), f)
	if errors.Is(err, audit.ErrInvalid) {
		bad(strings.TrimPrefix(err.Error(), audit.ErrInvalid.Error()+": ") + ".")
		return
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		older := form.query()
		older.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		data.Older = auditPath + "?" + older.Encode()
	}
	if form.Before != 0 {
		data.Newest = auditPath
		if nq := form.query().Encode(); nq != "" {
			data.Newest += "?" + nq
		}
	}
	data.Filter, data.Events = form, events
	c.render(w, r, http.StatusOK, "auditlog", view{Title: "Audit log", Nav: "audit", Op: op, Data: data})
}
