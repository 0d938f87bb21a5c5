package server

import (
	"io"
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
}

// The files Rampart keeps in its data directory.
const (
	credentialsFile = "credentials.json"
	sealingKeyFile  = "secret.key"
	agentTokenFile  = "agent.token"
	certFile        = "tls.crt"
	keyFile         = "tls.key"
)
