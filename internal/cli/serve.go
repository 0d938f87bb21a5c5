package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server"
	"github.com/spf13/cobra"
)

func newServe(stdout, stderr io.Writer) *cobra.Command {
	cfg := server.Config{RateLimits: ratelimit.DefaultLimits()}
	var noAuthDetail, debug bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Rampart server",
		Long: `Run the Rampart server on the embedded default: SQLite in the data
directory, HTTPS with a self-signed certificate generated on first start.
With --demo an empty data directory gets the demo fleet, an Automation API
application and credentials.json, and virtual agents check in.

With --db postgres://... the server keeps all state in PostgreSQL, and any
number of replicas may share it (each with its own --data-dir for its
certificate); they must share the secret key (--secret-key-file).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
				return fmt.Errorf("--tls-cert and --tls-key go together")
			}
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			cfg.Log, cfg.Stdout, cfg.AuthDetail = newLogger(stderr, level), stdout, !noAuthDetail
			if !cmd.Flags().Changed("virtual-fleet") {
				cfg.VirtualFleet = cfg.Demo
			}
			cfg.SecretKey = os.Getenv("RAMPART_SECRET_KEY")
			if cfg.SecretKeyFile != "" {
				cfg.SecretKey = "" // the flag wins over the environment
			}
			ctx := cmd.Context()
			srv, err := server.Open(ctx, cfg)
			if err != nil {
				return fail(err)
			}
			defer srv.Close()
			if err := srv.Listen(); err != nil {
				return fail(err)
			}
			if cfg.Demo {
				path, err := srv.PrepareDemo(ctx)
				if err != nil {
					return fail(err)
				}
				fmt.Fprintf(stdout, "Demo credentials (Apex Central application, Workload Security administrator and API key) are in %s\n", path)
			}
			fmt.Fprintf(stdout, "Rampart is listening on %s\n", srv.URL())
			if err := srv.Run(ctx); err != nil {
				return fail(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "./rampart-data", "directory for the database, keys, certificate and credentials")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:8443", "address to listen on")
	f.BoolVar(&cfg.Demo, "demo", false, "load the demo fleet and run virtual agents")
	f.BoolVar(&cfg.HTTP, "http", false, "serve plain HTTP instead of HTTPS")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate to serve instead of the generated one")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	f.BoolVar(&noAuthDetail, "no-auth-detail", false, "do not explain refused Apex Central tokens in X-Rampart-Auth-Detail")
	f.DurationVar(&cfg.AgentInterval, "agent-interval", 2*time.Second, "how often each virtual agent checks in")
	f.BoolVar(&debug, "debug", false, "log at debug level")
	f.DurationVar(&cfg.MigrationStep, "migration-step", 3*time.Second, "how long each appliance migration step takes")
	f.IntVar(&cfg.RateLimits.PerKey, "rate-limit-key", cfg.RateLimits.PerKey, "Workload Security calls per API key in any 60 s (0: no limit)")
	f.IntVar(&cfg.RateLimits.PerTenant, "rate-limit-tenant", cfg.RateLimits.PerTenant, "Workload Security calls per tenant in any 60 s (0: no limit)")
	f.IntVar(&cfg.RateLimits.PerNode, "rate-limit-node", cfg.RateLimits.PerNode, "Workload Security calls per node in any 60 s (0: no limit)")
	f.BoolVar(&cfg.RateLimits.Disabled, "no-rate-limit", false, "turn the Workload Security rate limiter off")
	f.StringVar(&cfg.DB, "db", os.Getenv("RAMPART_DB"), "PostgreSQL URL (postgres://user:pass@host:5432/db) to run on instead of SQLite; replicas share it (env RAMPART_DB)")
	f.StringVar(&cfg.SecretKeyFile, "secret-key-file", os.Getenv("RAMPART_SECRET_KEY_FILE"), "key sealing secrets at rest, 64 hex digits; required with --db, shared by every replica (env RAMPART_SECRET_KEY_FILE, or the key itself in RAMPART_SECRET_KEY)")
	f.StringVar(&cfg.AgentTokenFile, "agent-token-file", os.Getenv("RAMPART_AGENT_TOKEN_FILE"), "the token agents present (default: DATA_DIR/agent.token on SQLite, derived from the secret key on PostgreSQL) (env RAMPART_AGENT_TOKEN_FILE)")
	f.BoolVar(&cfg.VirtualFleet, "virtual-fleet", false, "run virtual agents and appliances for the store's fleet (default: on with --demo)")
	f.DurationVar(&cfg.RedeliverAfter, "redeliver-after", 30*time.Second, "deliver a command again when its agent has not reported it for this long")
	return cmd
}
