// Package examples holds runnable programs, one per vendor tutorial (seed),
// that do the tutorial's workflow through Rampart's Go SDK (client/...).
// Each is a main package under examples/seedNNN-...; they share only the
// flag and credential handling in examples/internal/exampleconfig.
//
// Point them at `rampart serve --demo` with the credentials file it writes:
//
//	go run ./examples/seed000-update-sources -credentials rampart-data/credentials.json
//
// or at a real console with -url and the credentials in RAMPART_*
// environment variables (see exampleconfig). Secrets are never printed.
package examples
