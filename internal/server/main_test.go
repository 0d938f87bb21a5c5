package server_test

import (
	"testing"

	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
)

// TestMain stops the PostgreSQL cluster the PostgreSQL benchmarks may
// start.
func TestMain(m *testing.M) { pgtest.Main(m) }
