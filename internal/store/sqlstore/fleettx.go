package sqlstore

import (
	"context"

	"github.com/rampart-sec/rampart/internal/fleet"
)

// InTx implements fleet.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx fleet.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

// The engine implements every domain store.
var _ fleet.Store = (*Store)(nil)
