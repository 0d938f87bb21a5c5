// Package server wires Rampart together: configuration, the data
// directory (store, sealing key, TLS certificate, agent token, demo
// credentials), the listener, middleware and ALL routes in one place
// (routes.go), and the in-process virtual agents of the demo.
//
// It is the only package besides cli that imports every other one.
package server
