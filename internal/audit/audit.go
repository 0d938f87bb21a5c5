package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The kinds of actor.
const (
	// KindApplication is an Apex Central Automation API application: ID is
	// its Application ID, Name its name.
	KindApplication = "application"
	// KindAPIKey is a Workload Security / Network Security API key: ID is
	// the key's numeric ID, Name its keyName.
	KindAPIKey = "api-key"
	// KindAdministrator is an administrator signed in (a Workload Security
	// session or the web console): ID is the numeric ID, Name the username.
	KindAdministrator = "administrator"
	// KindOperator is whoever ran an operator command of the CLI on the
	// data directory: ID is the operating system's user name.
	KindOperator = "operator"
	// KindAnonymous is a caller that did not authenticate: a refused
	// request, a failed sign-in.
	KindAnonymous = "anonymous"
)

// The families a change comes through.
const (
	FamilyApexCentral = "apexcentral"
	FamilyWorkload    = "workload"
	FamilyNetsec      = "netsec"
	FamilyConsole     = "console"
	FamilyCLI         = "cli"
)

var (
	kinds    = []string{KindApplication, KindAPIKey, KindAdministrator, KindOperator, KindAnonymous}
	families = []string{FamilyApexCentral, FamilyWorkload, FamilyNetsec, FamilyConsole, FamilyCLI}
)

// Kinds returns the actor kinds, for help texts and validation.
func Kinds() []string { return append([]string(nil), kinds...) }

// Families returns the families, for help texts and validation.
func Families() []string { return append([]string(nil), families...) }

// ErrInvalid wraps an event or a filter that Record or List refuses.
var ErrInvalid = errors.New("invalid audit event or filter")

// Actor is who made a change.
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// ApplicationActor is an Apex Central application.
func ApplicationActor(id, name string) Actor {
	return Actor{Kind: KindApplication, ID: id, Name: name}
}

// KeyActor is a Workload Security or Network Security API key.
func KeyActor(id int64, name string) Actor {
	return Actor{Kind: KindAPIKey, ID: strconv.FormatInt(id, 10), Name: name}
}

// AdministratorActor is a signed-in administrator.
func AdministratorActor(id int64, username string) Actor {
	return Actor{Kind: KindAdministrator, ID: strconv.FormatInt(id, 10), Name: username}
}

// OperatorActor is the operating-system user running the CLI.
func OperatorActor(user string) Actor {
	return Actor{Kind: KindOperator, ID: user}
}

// Anonymous is a caller that did not authenticate.
func Anonymous() Actor { return Actor{Kind: KindAnonymous} }

// String is the actor as people read it: "api-key 5 (playbooks)".
func (a Actor) String() string {
	s := a.Kind
	if a.ID != "" {
		s += " " + a.ID
	}
	if a.Name != "" {
		s += " (" + a.Name + ")"
	}
	return s
}

// Event is one recorded change.
type Event struct {
	// ID orders events: it grows with every event recorded.
	ID int64 `json:"id"`
	// At is when the event was recorded, to the millisecond, in UTC.
	At    time.Time `json:"at"`
	Actor Actor     `json:"actor"`
	// Family is what the change came through: FamilyApexCentral ...
	// FamilyCLI.
	Family string `json:"family"`
	// Action is what was asked: the method and route of an HTTP call
	// ("POST /api/apikeys/{apiKeyID}/secretkey", followed by what the route
	// does not say, such as an Apex command), or the CLI command ("apps
	// add").
	Action string `json:"action"`
	// Target is the ID of the resource changed, when known, else "".
	Target string `json:"target,omitempty"`
	// Outcome is "ok", "refused STATUS: reason" or "failed STATUS" (see
	// OutcomeOf); for the CLI, "ok" or "failed: error".
	Outcome string `json:"outcome"`
	// Status is the HTTP status of the answer; for the CLI, its exit code.
	Status int `json:"status"`
}

// OutcomeOf is the outcome of an HTTP answer: "ok" below 400; "refused
// 403: reason" for a client error (reason, when given, is the answer's
// short message); "failed 500" for a server error, whose details belong
// in the log.
func OutcomeOf(status int, reason string) string {
	switch {
	case status < 400:
		return "ok"
	case status < 500:
		if reason = strings.TrimSpace(reason); reason != "" {
			return "refused " + strconv.Itoa(status) + ": " + reason
		}
		return "refused " + strconv.Itoa(status)
	default:
		return "failed " + strconv.Itoa(status)
	}
}

// Filter selects events. Zero fields select everything.
type Filter struct {
	// Since and Until bound At: Since <= At < Until.
	Since, Until time.Time
	// ActorKind, ActorID and Family match exactly.
	ActorKind, ActorID, Family string
	// AfterID and BeforeID bound ID, exclusively: the next page of a
	// listing is BeforeID = the last (oldest) ID of this one; a poller
	// asks for AfterID = the newest ID it saw. On PostgreSQL, IDs are
	// handed out in order but concurrent replicas may commit them out of
	// order, so a poller that must miss nothing asks again from a little
	// before the newest ID it saw.
	AfterID, BeforeID int64
	// Limit is the most events returned; the Store takes 0 as no limit,
	// the Service as DefaultLimit.
	Limit int
}

// Store keeps the events. AuditEvents returns them newest first (by
// descending ID).
type Store interface {
	// InsertAuditEvent stores e (its ID is ignored) and returns the ID it
	// was given, larger than every ID given before.
	InsertAuditEvent(ctx context.Context, e Event) (int64, error)
	AuditEvents(ctx context.Context, f Filter) ([]Event, error)
}

// Limits of List.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// The longest texts an event keeps; longer ones are cut, marked with "…".
const (
	maxIDText     = 256
	maxActionText = 512
	maxText       = 512
)

// Service records and lists events.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns the service; now is the clock (time.Now when nil).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Record stores e, stamped with the clock's time (to the millisecond, in
// UTC), and returns it with its ID. Texts are made safe to keep: control
// characters and invalid UTF-8 are replaced and long texts are cut. An
// unknown actor kind or family, or an empty action, is ErrInvalid.
func (s *Service) Record(ctx context.Context, e Event) (Event, error) {
	e.Actor.Kind = clean(e.Actor.Kind, maxIDText)
	e.Family = clean(e.Family, maxIDText)
	if !slices.Contains(kinds, e.Actor.Kind) {
		return Event{}, fmt.Errorf("%w: actor kind %q is not one of %s", ErrInvalid, e.Actor.Kind, strings.Join(kinds, ", "))
	}
	if !slices.Contains(families, e.Family) {
		return Event{}, fmt.Errorf("%w: family %q is not one of %s", ErrInvalid, e.Family, strings.Join(families, ", "))
	}
	e.Action = clean(e.Action, maxActionText)
	if e.Action == "" {
		return Event{}, fmt.Errorf("%w: the action is empty", ErrInvalid)
	}
	e.Actor.ID, e.Actor.Name = clean(e.Actor.ID, maxIDText), clean(e.Actor.Name, maxIDText)
	e.Target, e.Outcome = clean(e.Target, maxText), clean(e.Outcome, maxText)
	if e.Outcome == "" {
		e.Outcome = OutcomeOf(e.Status, "")
	}
	e.ID, e.At = 0, s.now().UTC().Truncate(time.Millisecond)
	id, err := s.store.InsertAuditEvent(ctx, e)
	if err != nil {
		return Event{}, fmt.Errorf("recording audit event: %w", err)
	}
	e.ID = id
	return e, nil
}

// List returns the events f selects, newest first. A zero Limit is
// DefaultLimit; more than MaxLimit, or a negative one, is ErrInvalid.
func (s *Service) List(ctx context.Context, f Filter) ([]Event, error) {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, fmt.Errorf("%w: limit %d is not between 1 and %d", ErrInvalid, f.Limit, MaxLimit)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, fmt.Errorf("%w: since %s is not before until %s", ErrInvalid, f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	if f.ActorKind != "" && !slices.Contains(kinds, f.ActorKind) {
		return nil, fmt.Errorf("%w: actor kind %q is not one of %s", ErrInvalid, f.ActorKind, strings.Join(kinds, ", "))
	}
	if f.Family != "" && !slices.Contains(families, f.Family) {
		return nil, fmt.Errorf("%w: family %q is not one of %s", ErrInvalid, f.Family, strings.Join(families, ", "))
	}
	events, err := s.store.AuditEvents(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", err)
	}
	return events, nil
}

// clean makes s safe to store and show: invalid UTF-8 becomes U+FFFD,
// control characters (a NUL, which PostgreSQL text cannot hold; a newline
// that would forge a line of a log view) become spaces, surrounding space
// is trimmed, and more than max bytes are cut at a character boundary and
// marked with "…".
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
