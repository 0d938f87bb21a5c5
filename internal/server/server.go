package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/apexcentral"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/console"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/netsec"
	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/sealing"
	"github.com/rampart-sec/rampart/internal/simulator"
	"github.com/rampart-sec/rampart/internal/store/postgres"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	"github.com/rampart-sec/rampart/internal/workload"
)

// Server is one Rampart node. Build it with Open, run it with Run.
type Server struct {
	cfg   Config
	store *sqlstore.Store
	box   *sealing.Box
	// agentToken is what agents present as "Authorization: Bearer".
	agentToken string
	Apps       *identity.Service
	Fleet      *fleet.Service
	Access     *identity.Access
	apex       *apexcentral.API
	workload   *workload.API
	netsec     *netsec.API
	console    *console.Console
	// Appliances runs the Network Security appliances and their migrations.
	Appliances *appliances.Service
	// Audit is the audit trail: the routes record every change through
	// it (see audited); the console lists it.
	Audit      *audit.Service
	runnerName string
	agents     *agentproto.Handler
	tlsCert    *tls.Certificate
	listener   net.Listener
}

// Open prepares the data directory (store, keys, certificate) and the
// services, but does not listen yet.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AgentInterval <= 0 {
		cfg.AgentInterval = 2 * time.Second
	}
	if cfg.MigrationStep <= 0 {
		cfg.MigrationStep = 3 * time.Second
	}
	if cfg.RedeliverAfter <= 0 {
		cfg.RedeliverAfter = max(15*cfg.AgentInterval, 30*time.Second)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	box, err := secretBox(cfg)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	s := &Server{cfg: cfg, store: st, box: box}
	if err := s.init(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// openStore opens the embedded SQLite database in the data directory, or
// the PostgreSQL database cfg.DB names.
func openStore(ctx context.Context, cfg Config) (*sqlstore.Store, error) {
	if cfg.DB == "" {
		return sqlite.Open(ctx, cfg.DataDir)
	}
	if !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
		return nil, errors.New("--db must be a postgres:// URL (leave it empty for the embedded SQLite database)")
	}
	return postgres.Open(ctx, cfg.DB)
}

// secretBox loads the key that seals secrets at rest: the operator's key
// (file or value) when given, else on SQLite the data directory's own key
// file, created on first start. PostgreSQL refuses to start without the
// operator's key: replicas that each invented a key could not open each
// other's secrets.
func secretBox(cfg Config) (*sealing.Box, error) {
	switch {
	case cfg.SecretKey != "" && cfg.SecretKeyFile != "":
		return nil, errors.New("give the secret key as a file or as a value, not both")
	case cfg.SecretKey != "":
		box, err := sealing.FromHex(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("loading the secret key: %w", err)
		}
		return box, nil
	case cfg.SecretKeyFile != "":
		box, err := sealing.Load(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the secret key file: %w", err)
		}
		return box, nil
	case cfg.DB != "":
		return nil, errors.New("PostgreSQL needs the secret key every replica shares: give --secret-key-file (or RAMPART_SECRET_KEY_FILE, or RAMPART_SECRET_KEY); " +
			"create one with `openssl rand -hex 32 > secret.key`, or use the secret.key of the SQLite data directory you migrated from")
	}
	box, err := sealing.LoadOrCreate(filepath.Join(cfg.DataDir, sealingKeyFile))
	if err != nil {
		return nil, fmt.Errorf("loading sealing key: %w", err)
	}
	return box, nil
}

func (s *Server) init(ctx context.Context) error {
	box := s.box
	// Agents present one token to every replica: on PostgreSQL it is
	// derived from the shared key; on SQLite it is the data directory's.
	var token string
	var err error
	if s.cfg.AgentTokenFile != "" {
		data, err := os.ReadFile(s.cfg.AgentTokenFile)
		if err != nil {
			return fmt.Errorf("reading the agent token file: %w", err)
		}
		if token = strings.TrimSpace(string(data)); len(token) < 32 {
			return fmt.Errorf("the agent token in %s is too short (want at least 32 characters)", s.cfg.AgentTokenFile)
		}
	} else if s.cfg.DB != "" {
		token = box.Derive("rampart agent token v1")
	} else if token, err = loadOrCreateToken(filepath.Join(s.cfg.DataDir, agentTokenFile)); err != nil {
		return err
	}
	s.agentToken = token
	s.Apps = identity.NewService(s.store, box, s.cfg.Now, nil)
	s.Audit = audit.NewService(s.store, s.cfg.Now)
	s.Fleet = fleet.NewService(s.store, s.cfg.Now, nil)
	s.Fleet.RedeliverAfter = s.cfg.RedeliverAfter
	s.apex = &apexcentral.API{Apps: s.Apps, Fleet: s.Fleet, Now: s.cfg.Now, Log: s.cfg.Log, AuthDetail: s.cfg.AuthDetail}
	s.agents = &agentproto.Handler{Fleet: s.Fleet, Token: token, Log: s.cfg.Log}
	s.Access = identity.NewAccess(s.store, box, identity.DefaultPolicy(), s.cfg.Now)
	if err := s.Access.Init(ctx); err != nil {
		return err
	}
	node, _ := os.Hostname()
	// One SQLite node counts calls in memory; replicas of a PostgreSQL
	// database count them in it, so the limits hold across all of them.
	var counter ratelimit.Counter = ratelimit.NewMemory()
	if s.cfg.DB != "" {
		counter = postgres.NewRateCounter(s.store.DB())
	}
	limiter := ratelimit.New(s.cfg.RateLimits, counter, s.cfg.Now)
	s.workload = &workload.API{Access: s.Access, Tenant: "Primary", Node: node, Now: s.cfg.Now, Log: s.cfg.Log, Limiter: limiter}
	s.Appliances = appliances.NewService(s.store, demo.Catalogue(), s.cfg.MigrationStep, s.cfg.Now)
	s.agents.Appliances = s.Appliances
	s.netsec = &netsec.API{Appliances: s.Appliances, Access: s.Access, Limiter: limiter, Tenant: "Primary", Node: node, Log: s.cfg.Log}
	// The console's CSRF and form secret is derived from the sealing key,
	// so that every replica of a PostgreSQL deployment accepts its forms.
	if s.console, err = console.New(console.Config{Apps: s.Apps, Access: s.Access, Fleet: s.Fleet, Appliances: s.Appliances, Audit: s.Audit,
		Secret: box.Derive("rampart console v1"), Now: s.cfg.Now, Log: s.cfg.Log}); err != nil {
		return err
	}
	s.runnerName = fmt.Sprintf("%s/%d/%s", node, os.Getpid(), randomHexName())
	if !s.cfg.HTTP {
		cf, kf := s.cfg.TLSCert, s.cfg.TLSKey
		if cf == "" {
			cf, kf = filepath.Join(s.cfg.DataDir, certFile), filepath.Join(s.cfg.DataDir, keyFile)
		}
		cert, err := loadOrCreateCert(cf, kf, s.cfg.Now())
		if err != nil {
			return err
		}
		s.tlsCert = &cert
	}
	return nil
}

// Close releases the store.
func (s *Server) Close() error { return s.store.Close() }

// Handler is the server's whole HTTP surface, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.routes() }

// URL is the base URL clients reach the server at, once it listens.
func (s *Server) URL() string {
	scheme := "https"
	if s.cfg.HTTP {
		scheme = "http"
	}
	return scheme + "://" + s.listener.Addr().String()
}

// Listen binds the listening socket.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	s.listener = ln
	return nil
}

// Run serves until ctx ends, then shuts down gracefully. Listen must have
// been called.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelDebug),
	}
	ln := s.listener
	if s.tlsCert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*s.tlsCert}, MinVersion: tls.VersionTLS12})
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	runner := &appliances.Runner{Service: s.Appliances, Owner: s.runnerName, Every: min(s.cfg.MigrationStep/4, 500*time.Millisecond),
		LeaseFor: max(3*s.cfg.MigrationStep, 2*time.Second), Log: s.cfg.Log}
	go runner.Run(simCtx)
	if s.cfg.VirtualFleet {
		if err := s.startVirtualAgents(simCtx); err != nil {
			s.cfg.Log.Error("starting virtual agents", "err", err)
		}
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	stopSim()
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// startVirtualAgents runs a virtual agent for every agent in the store,
// talking to this server over the agent protocol like a real one would.
func (s *Server) startVirtualAgents(ctx context.Context) error {
	agents, err := s.Fleet.Agents(ctx, fleet.AgentFilter{})
	if err != nil {
		return err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if s.tlsCert != nil {
		pool := x509.NewCertPool()
		leaf, err := x509.ParseCertificate(s.tlsCert.Certificate[0])
		if err != nil {
			return fmt.Errorf("parsing own certificate: %w", err)
		}
		pool.AddCert(leaf)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	}
	base := s.URL()
	if host, port, err := net.SplitHostPort(s.listener.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			base = strings.Replace(base, s.listener.Addr().String(), net.JoinHostPort("127.0.0.1", port), 1)
		}
	}
	sim := &simulator.Fleet{
		Client:   &agentproto.Client{BaseURL: base, Token: s.agentToken, HTTP: &http.Client{Transport: transport, Timeout: 30 * time.Second}},
		Interval: s.cfg.AgentInterval,
		Log:      s.cfg.Log,
	}
	virtual := make([]simulator.Agent, len(agents))
	for i, a := range agents {
		virtual[i] = simulator.Agent{ID: a.EntityID, ServerID: a.ManagingServerID}
	}
	go sim.Run(ctx, virtual)
	all, err := s.Appliances.List(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, len(all))
	for i, a := range all {
		ids[i] = a.ID
	}
	apps := &simulator.ApplianceFleet{Client: sim.Client, Interval: s.cfg.AgentInterval, Log: s.cfg.Log}
	go apps.Run(ctx, ids)
	s.cfg.Log.Info("virtual agents and appliances started", "agents", len(virtual), "appliances", len(ids), "interval", s.cfg.AgentInterval)
	return nil
}

// randomHexName is a short random name that tells this process's leases
// from those of a process that ran before it under the same PID.
func randomHexName() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b)
}

func loadOrCreateToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading agent token: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating agent token: %w", err)
	}
	token := hex.EncodeToString(b)
	if err := writeFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", err
	}
	return token, nil
}
