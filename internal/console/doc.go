// Package console owns Rampart's web console: its pages and forms
// (sign-in, Administration > Settings > Automation API Access Settings,
// the fleet's servers and Security Agents, the appliances and their
// migrations, API keys and roles, the audit log), the console session
// and its CSRF tokens, and its templates, stylesheet and scripts, embedded
// in the binary (html/template and a little hand-written JavaScript; no
// build step).
//
// Every change goes through the same domain calls the API adapters and the
// CLI make (identity, fleet, appliances). The routes are mounted by
// internal/server, in routes.go with every other route.
//
// It imports the domain packages (identity, fleet, appliances, search,
// audit: it names the signed-in administrator as the actor of a change),
// html/template, net/http and embed; never the store or another adapter.
package console
