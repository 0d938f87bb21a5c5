// Package store is the home of Rampart's storage engines. The domain
// packages (fleet, identity) each state the Store interface they need; the
// engines below implement all of them:
//
//   - sqlstore: the database/sql code shared by every engine, written in the
//     SQL dialect SQLite and PostgreSQL both accept ($1 placeholders).
//   - sqlite: the embedded default, its configuration and schema migrations.
//   - storetest: the conformance suite every engine must pass.
//
// Only store and its sub-packages import SQL drivers.
package store
