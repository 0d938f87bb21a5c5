package server

import (
	"io"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"log/slog"
	"time"
)

// Config is everything `rampart serve` can be told.
type Config struct {
	DataDir string
	Listen  string
	// Demo loads the demo fleet into an empty data directory, creates an
	// application and writes credentials.json.
	Demo bool
	// HTTP serves plain HTTP instead of HTTPS.
	HTTP            bool
	TLSCert, TLSKey string
	AuthDetail      bool
	AgentInterval   time.Duration
	Log             *slog.Logger
	Stdout          io.Writer
	Now             func() time.Time
	// MigrationStep is how long each appliance migration step takes.
	MigrationStep time.Duration
	// RateLimits are the Workload Security API's limits.
	RateLimits ratelimit.Limits
	// DB is a PostgreSQL URL (postgres://...); empty means the embedded
	// SQLite database in DataDir.
	DB string
	// SecretKeyFile is the key that seals secrets at rest (hex, as
	// DataDir/secret.key holds it). SecretKey is the same key given
	// directly (RAMPART_SECRET_KEY). With SQLite both are optional (the
	// key file in DataDir is created on first start); with PostgreSQL one
	// is required, since every replica must hold the same key.
	SecretKeyFile string
	SecretKey     string
	// AgentTokenFile is the agents' token to use instead of the default:
	// DataDir/agent.token on SQLite (created on first start), one derived
	// from the secret key on PostgreSQL. It keeps the token agents hold
	// when an installation moves to PostgreSQL.
	AgentTokenFile string
	// VirtualFleet runs virtual agents and appliances for everything in
	// the store (`serve --demo` turns it on unless told otherwise).
	VirtualFleet bool
	// RedeliverAfter is how long a command delivered to an agent may go
	// unreported before it is delivered again (to the agent's next
	// check-in, on whichever replica).
	RedeliverAfter time.Duration
}

// The files Rampart keeps in its data directory.
const (
	credentialsFile = "credentials.json"
	sealingKeyFile  = "secret.key"
	agentTokenFile  = "agent.token"
	certFile        = "tls.crt"
	keyFile         = "tls.key"
)
