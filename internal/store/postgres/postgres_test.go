package postgres_test

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/store/postgres"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	"github.com/rampart-sec/rampart/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

// TestConformance runs the suite SQLite passes, unchanged.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

// TestSchemaInStepWithSQLite: both engines' migrations give every table
// the same columns, in the same order, so the shared queries fit both.
func TestSchemaInStepWithSQLite(t *testing.T) {
	ctx := context.Background()
	pg := open(t)
	lite, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pgCols := columns(t, pg.DB(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version' ORDER BY table_name, ordinal_position`)
	liteCols := columns(t, lite.DB(), `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence') ORDER BY m.name, p.cid`)
	if len(pgCols) == 0 || !reflect.DeepEqual(pgCols, liteCols) {
		t.Errorf("schemas differ:\nPostgreSQL %v\nSQLite     %v", pgCols, liteCols)
	}
}

func columns(t *testing.T, db *sql.DB, query string) map[string][]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpenTwiceMigratesOnce: replicas starting together share one schema.
func TestOpenTwiceMigratesOnce(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	errs := make(chan error, 2)
	stores := make(chan *sqlstore.Store, 2)
	for range 2 {
		go func() {
			s, err := postgres.Open(ctx, url)
			errs <- err
			stores <- s
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Open: %v", err)
		}
		if s := <-stores; s != nil {
			defer s.Close()
		}
	}
}

// TestRateCounter runs the Counter conformance suite on the shared table;
// each subtest gets a database of its own.
func TestRateCounter(t *testing.T) {
	ratelimit.RunCounterTests(t, func() ratelimit.Counter { return postgres.NewRateCounter(open(t).DB()) })
}
