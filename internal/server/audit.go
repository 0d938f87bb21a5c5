package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
)

// readOnlyRoutes are the state-changing methods' routes that change
// nothing: searches sent as POST, and the vendor's POST form of "describe
// the calling key". They are not audited, as GETs are not.
var readOnlyRoutes = map[string]bool{
	"POST /api/apikeys/search":    true,
	"POST /api/roles/search":      true,
	"POST /api/appliances/search": true,
	"POST /api/apikeys/current":   true,
}

// auditTimeout bounds the write of one event: a store that hangs must not
// hold the answer forever.
const auditTimeout = 10 * time.Second

// audited records an audit event for every request that reaches a route
// of the API families or the console registered for a method other than
// GET and HEAD (a request that matches no such route, a 404 or a 405,
// changes nothing and is not recorded; nor is the agent protocol).
//
// The request runs with an audit slot in its context; the adapter that
// authenticates the caller names it there (audit.SetActor), and may name
// the target and qualify the action. Afterwards one event is written,
// before the answer leaves (a change is never answered unrecorded): the
// actor (anonymous when the caller never authenticated), the method and
// route, the target (the route's path parameter unless the handler named
// one), and the outcome from the status and, for a refusal, the answer's
// short message. Bodies, headers and query strings are never looked at,
// so no secret, token or password reaches the trail. A failure to record
// is logged and does not fail the request.
func (s *Server) audited(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		family := auditFamily(r.URL.Path)
		if family == "" || r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			mux.ServeHTTP(w, r)
			return
		}
		_, pattern := mux.Handler(r)
		method, route, ok := strings.Cut(pattern, " ")
		if !ok || method == http.MethodGet || readOnlyRoutes[pattern] {
			mux.ServeHTTP(w, r)
			return
		}
		ctx, slot := audit.WithActorSlot(r.Context())
		rec := &auditWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				rec.status = http.StatusInternalServerError
				s.recordAudit(r, family, method, route, slot, rec)
				panic(p)
			}
		}()
		mux.ServeHTTP(rec, r.WithContext(ctx))
		s.recordAudit(r, family, method, route, slot, rec)
	})
}

func (s *Server) recordAudit(r *http.Request, family, method, route string, slot *audit.Slot, rec *auditWriter) {
	status := rec.statusCode()
	action := method + " " + route
	if q := slot.Qualifier(); q != "" {
		action += " " + q
	}
	target := slot.Target()
	if target == "" {
		target = pathParams(route, r.URL.Path)
	}
	e := audit.Event{Actor: slot.Actor(), Family: family, Action: action, Target: target,
		Outcome: audit.OutcomeOf(status, rec.reason()), Status: status}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	if _, err := s.Audit.Record(ctx, e); err != nil {
		s.cfg.Log.ErrorContext(ctx, "recording audit event", "family", family, "action", action, "status", status, "err", err)
	}
}

// auditFamily is the family a path belongs to, "" for a path that is not
// audited. Paths arrive cleaned, Apex Central's lower-cased (normalizePath).
func auditFamily(p string) string {
	under := func(prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	switch {
	case under("/webapp/api"):
		return audit.FamilyApexCentral
	case under("/api/appliances"), under("/api/migrationversions"), under("/api/appliancemigrations"):
		return audit.FamilyNetsec
	case under("/api"):
		return audit.FamilyWorkload
	case under("/console"):
		return audit.FamilyConsole
	}
	return ""
}

// pathParams is the values of route's wildcards in path ("5" for
// "/api/apikeys/{apiKeyID}" and "/api/apikeys/5"), joined by "/".
func pathParams(route, path string) string {
	rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
	var vals []string
	for i, seg := range rs {
		if i >= len(ps) {
			break
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && seg != "{$}" {
			if strings.HasSuffix(seg, "...}") {
				vals = append(vals, strings.Join(ps[i:], "/"))
				break
			}
			vals = append(vals, ps[i])
		}
	}
	return strings.Join(vals, "/")
}

// maxReason is how much of a refusal's answer is kept to find its message.
const maxReason = 2048

// auditWriter notes the status of the answer and the start of a refusal's
// body, whose message becomes the outcome's reason.
type auditWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (a *auditWriter) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *auditWriter) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	if a.status >= 400 && a.status < 500 && len(a.body) < maxReason {
		a.body = append(a.body, b[:min(len(b), maxReason-len(a.body))]...)
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *auditWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

func (a *auditWriter) statusCode() int {
	if a.status == 0 {
		return http.StatusOK
	}
	return a.status
}

// reason is a refusal's short message: the families' JSON "message"
// (Workload Security, Network Security) or "result_description" (Apex
// Central), else the status text (the console answers in HTML).
func (a *auditWriter) reason() string {
	status := a.statusCode()
	if status < 400 || status >= 500 {
		return ""
	}
	var msg struct {
		Message     string `json:"message"`
		Description string `json:"result_description"`
	}
	if json.Unmarshal(a.body, &msg) == nil {
		for _, m := range []string{msg.Message, msg.Description} {
			if m = strings.TrimSpace(m); m != "" {
				return clipReason(m)
			}
		}
	}
	return http.StatusText(status)
}

func clipReason(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
