// Package search is the SearchFilter of the Deep Security / Workload
// Security API, which the Network Security API's appliance search takes
// too: a Filter of ANDed Criteria, each one test (string, numeric, ID,
// boolean, choice, date or null) on one field, with helpers for the common
// tests. Unset fields are never sent, as the server refuses unknown keys
// and mixed test families.
//
// It imports only the standard library.
package search
