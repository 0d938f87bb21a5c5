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
	// application, writes credentials.json and runs virtual agents.
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
}

// The files Rampart keeps in its data directory.
const (
	credentialsFile = "credentials.json"
	sealingKeyFile  = "secret.key"
	agentTokenFile  = "agent.token"
	certFile        = "tls.crt"
	keyFile         = "tls.key"
)
