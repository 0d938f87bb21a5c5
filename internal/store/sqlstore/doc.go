// Package sqlstore implements the domain stores (fleet.Store,
// identity.Store) over database/sql, with hand-written queries in the SQL
// that both SQLite and PostgreSQL accept. Engines (sqlite, postgres) open the
// database, configure it, migrate its schema and hand it to New.
//
// It imports the domain packages for their types and database/sql; it never
// imports a driver.
package sqlstore
