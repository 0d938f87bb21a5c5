package audit

import (
	"context"
	"sync"
)

// Slot is what a request tells its recorder while it runs: who the caller
// turned out to be, and what the route alone does not say. The recorder
// (the server's middleware, the CLI) puts one in the context with
// WithActorSlot before the request runs and reads it afterwards; the code
// that authenticates the caller fills it with SetActor.
type Slot struct {
	mu        sync.Mutex
	actor     Actor
	target    string
	qualifier string
}

type slotKey struct{}

// WithActorSlot returns ctx carrying a new, empty slot, and the slot.
func WithActorSlot(ctx context.Context) (context.Context, *Slot) {
	s := &Slot{}
	return context.WithValue(ctx, slotKey{}, s), s
}

func slotFrom(ctx context.Context) *Slot {
	s, _ := ctx.Value(slotKey{}).(*Slot)
	return s
}

// SetActor names who is making the change ctx belongs to. Call it where
// the caller is established (after its credentials were verified); without
// a slot in ctx (a request that is not audited) it does nothing.
func SetActor(ctx context.Context, a Actor) {
	if s := slotFrom(ctx); s != nil {
		s.mu.Lock()
		s.actor = a
		s.mu.Unlock()
	}
}

// SetTarget names the resource changed, when the route does not (an ID in
// the body, or one the change created).
func SetTarget(ctx context.Context, target string) {
	if s := slotFrom(ctx); s != nil {
		s.mu.Lock()
		s.target = target
		s.mu.Unlock()
	}
}

// Qualify adds to the recorded action what its method and route do not
// say: the Apex Central command of a POST, a migration's direction.
func Qualify(ctx context.Context, what string) {
	if s := slotFrom(ctx); s != nil {
		s.mu.Lock()
		s.qualifier = what
		s.mu.Unlock()
	}
}

// Actor is the actor set, or Anonymous when none was.
func (s *Slot) Actor() Actor {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actor.Kind == "" {
		return Anonymous()
	}
	return s.actor
}

// Target is the target set, "" when none was.
func (s *Slot) Target() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.target
}

// Qualifier is what Qualify set, "" when nothing was.
func (s *Slot) Qualifier() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.qualifier
}
