package fleet

import (
	"context"
	"errors"
	"fmt"
)

// DeployUpdateSources records settings as the server's update-source
// configuration and queues, for each agent the server manages whose address
// falls in one of the settings' ranges, a command to use that source. A
// server without the deploy capability is left untouched: ok is false.
func (s *Service) DeployUpdateSources(ctx context.Context, serverID string, settings UpdateSourceSettings) (srv Server, ok bool, err error) {
	if err := settings.Validate(); err != nil {
		return Server{}, false, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		ok = false // a transaction the store retries starts afresh
		var err error
		srv, err = tx.Server(ctx, serverID)
		if errors.Is(err, ErrServerNotFound) {
			return fmt.Errorf("%w: %s", ErrTargetNotFound, serverID)
		}
		if err != nil {
			return fmt.Errorf("reading server %s: %w", serverID, err)
		}
		if !srv.Has(CapDeployUpdateSources) {
			return nil
		}
		ok = true
		if err := tx.SetServerUpdateSources(ctx, srv.EntityID, settings); err != nil {
			return fmt.Errorf("saving update sources of server %s: %w", srv.EntityID, err)
		}
		srv.UpdateSources = &settings
		agents, err := tx.Agents(ctx, AgentFilter{ManagingServerID: Key(srv.EntityID)})
		if err != nil {
			return fmt.Errorf("finding agents of server %s: %w", srv.EntityID, err)
		}
		for _, a := range agents {
			if a.Uninstalling {
				continue
			}
			ous := "" // the managing server itself
			if settings.AllowUpdateFromOtherAU {
				src, in := settings.SourceFor(a.IPAddresses)
				if !in {
					continue
				}
				ous = src.OUS
			}
			if err := s.enqueue(ctx, tx, a.EntityID, CommandUpdateSource, map[string]string{"ous": ous, "server_id": srv.EntityID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Server{}, false, err
	}
	return srv, ok, nil
}
