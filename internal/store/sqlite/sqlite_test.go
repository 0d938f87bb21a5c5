package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	"github.com/rampart-sec/rampart/internal/store/storetest"
)

func open(t *testing.T, dir string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, t.TempDir()) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	agent := fleet.Agent{EntityID: "AG-1", HostName: "client01", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1",
		IPAddresses: []string{"10.1.1.1"}, Isolation: fleet.StatusNormal}
	if err := s.InsertAgent(ctx, agent); err != nil {
		t.Fatalf("InsertAgent: %v", err)
	}
	app := identity.SealedApplication{ID: "APP-1", Name: "app", SealedKey: []byte{1, 2, 3}, Enabled: true, Timeout: time.Minute}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	versions := migrationRows(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 {
		s := open(t, dir)
		if _, err := s.Agent(ctx, "ag-1"); err != nil {
			t.Errorf("reopen %d: Agent: %v", i, err)
		}
		if got, err := s.Agents(ctx, fleet.AgentFilter{IPAddress: "10.1.1.1"}.Normalize()); err != nil || len(got) != 1 {
			t.Errorf("reopen %d: agent by ip = %d agents, %v; want 1", i, len(got), err)
		}
		if _, err := s.Application(ctx, "APP-1"); err != nil {
			t.Errorf("reopen %d: Application: %v", i, err)
		}
		if got := migrationRows(t, s); got != versions {
			t.Errorf("reopen %d: goose version rows = %d, want %d (migrations ran again)", i, got, versions)
		}
		s.Close()
	}
}

// migrationRows counts goose's record of applied migrations.
func migrationRows(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	if n == 0 {
		t.Fatal("goose_db_version is empty")
	}
	return n
}

func TestPragmas(t *testing.T) {
	s := open(t, t.TempDir())
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := s.DB().QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

// TestTwoStoresOneDir is the CLI writing beside a running server: two Store
// instances on one file, both writing at once, must wait for each other
// (busy_timeout, immediate transactions) rather than fail.
func TestTwoStoresOneDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stores := []*sqlstore.Store{open(t, dir), open(t, dir)}
	const perStore, writersPerStore = 40, 3
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*writersPerStore)
	for si, s := range stores {
		for w := range writersPerStore {
			wg.Go(func() {
				for i := range perStore {
					id := fmt.Sprintf("S%d-W%d-%02d", si, w, i)
					err := s.InTx(ctx, func(tx fleet.Store) error {
						if err := tx.InsertAgent(ctx, fleet.Agent{EntityID: id, HostName: id, Isolation: fleet.StatusNormal,
							IPAddresses: []string{fmt.Sprintf("10.%d.%d.%d", si, w, i)}}); err != nil {
							return err
						}
						return tx.InsertCommand(ctx, fleet.Command{ID: "cmd-" + id, AgentID: id, Kind: fleet.CommandIsolate, State: fleet.CommandQueued})
					})
					if err != nil {
						errs <- fmt.Errorf("store %d writer %d: %w", si, w, err)
						return
					}
					if err := s.CreateApplication(ctx, identity.SealedApplication{ID: "APP-" + id, Name: id, SealedKey: []byte{1}, Timeout: time.Minute}); err != nil {
						errs <- fmt.Errorf("store %d writer %d: %w", si, w, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := len(stores) * writersPerStore * perStore
	for i, s := range stores {
		agents, err := s.Agents(ctx, fleet.AgentFilter{})
		if err != nil || len(agents) != want {
			t.Errorf("store %d sees %d agents, %v; want %d", i, len(agents), err, want)
		}
		apps, err := s.Applications(ctx)
		if err != nil || len(apps) != want {
			t.Errorf("store %d sees %d applications, %v; want %d", i, len(apps), err, want)
		}
	}
}

// TestPlainWriteBesideTransaction pins a deadlock: a plain write whose
// statement is not prepared yet waits for the writer's only connection,
// which a transaction holds; the transaction must still be able to run its
// statements, finish, and let the plain write through.
func TestPlainWriteBesideTransaction(t *testing.T) {
	s := open(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started := make(chan struct{})
	plain := make(chan error, 1)
	go func() {
		<-started
		plain <- s.CreateApplication(ctx, identity.SealedApplication{ID: "APP-1", Name: "app", SealedKey: []byte{1}, Timeout: time.Minute})
	}()
	err := s.InTx(ctx, func(tx fleet.Store) error {
		close(started)
		// Wait, with a bound, until the plain write is queued for the
		// connection this transaction holds.
		for s.DB().Stats().WaitCount == 0 {
			if ctx.Err() != nil {
				return fmt.Errorf("the plain write never waited for the writer: %w", ctx.Err())
			}
			runtime.Gosched()
		}
		return tx.InsertAgent(ctx, fleet.Agent{EntityID: "AG-1", HostName: "h", Isolation: fleet.StatusNormal})
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if err := <-plain; err != nil {
		t.Fatalf("CreateApplication beside the transaction: %v", err)
	}
}

// TestOpenOddDirectoryNames: the database lives in the data directory
// whatever its name. The DSN is a file: URI, so '#', '?' and '%' in the path
// must be escaped or SQLite reads them as URI syntax.
func TestOpenOddDirectoryNames(t *testing.T) {
	// The subtests are named without the odd characters so that t.TempDir,
	// which uses the name, is an ordinary path: a misplaced database then
	// lands inside it and is cleaned up.
	for test, name := range map[string]string{"space": "with space", "hash": "with#hash", "query": "with?query", "percent": "with%41percent"} {
		t.Run(test, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			s, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			s.Close()
			if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
				t.Errorf("the database is not in the data directory: %v", err)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 1 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("files beside the data directory: %q", names)
			}
		})
	}
}
