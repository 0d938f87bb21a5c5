package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/internal/store/postgres"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

// newMigrateStore moves an embedded installation (the SQLite database of a
// data directory) into an empty PostgreSQL database, in one transaction.
func newMigrateStore(stdout, stderr io.Writer) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate-store --from sqlite:DIR --to postgres://...",
		Short: "Move an embedded installation's data to PostgreSQL",
		Long: `Copy every row of the SQLite database in the data directory DIR into an
empty PostgreSQL database (created beforehand, e.g. with createdb), in one
transaction: either everything is copied or nothing is written. The schema
is created first, as rampart serve --db would. A database that already
holds data is refused.

Stop the server running on DIR first: changes it makes during the copy are
not copied, and after the copy the PostgreSQL database is the one to use.
Application API keys, API key secrets, sessions and passwords keep working
as they are; migrations in flight continue on the PostgreSQL replicas
(leases taken by the old server expire on their own).

Secrets are sealed with DIR/secret.key: start the PostgreSQL replicas with
--secret-key-file pointing at (a copy of) that file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := sqliteSourceDir(from)
			if err != nil {
				return &exitError{ExitUsage, err}
			}
			if to == "" {
				return &exitError{ExitUsage, errors.New("--to is required (a postgres:// URL), or set RAMPART_DB")}
			}
			target, err := url.Parse(to)
			if err != nil || (target.Scheme != "postgres" && target.Scheme != "postgresql") {
				return &exitError{ExitUsage, errors.New("--to must be a postgres:// URL")}
			}
			shown := target.Redacted()
			// scrub keeps the password out of any message, whatever a
			// driver puts in its errors.
			scrub := func(err error) error {
				if p, ok := target.User.Password(); ok && p != "" {
					msg := strings.ReplaceAll(err.Error(), p, "xxxxx")
					msg = strings.ReplaceAll(msg, url.QueryEscape(p), "xxxxx")
					if msg != err.Error() {
						return errors.New(msg)
					}
				}
				return err
			}

			ctx := cmd.Context()
			src, err := sqlite.Open(ctx, dir)
			if err != nil {
				return fail(fmt.Errorf("opening the source %s: %w", filepath.Join(dir, sqlite.FileName), err))
			}
			defer src.Close()
			dst, err := postgres.Open(ctx, to)
			if err != nil {
				return fail(scrub(fmt.Errorf("opening the target: %w", err)))
			}
			defer dst.Close()

			fmt.Fprintf(stderr, "Copying %s to %s\n", filepath.Join(dir, sqlite.FileName), shown)
			counts, err := sqlstore.Copy(ctx, src, dst, func(table string, rows int) {
				fmt.Fprintf(stderr, "  %s: %d\n", table, rows)
			})
			if err != nil {
				return fail(scrub(fmt.Errorf("copying to %s: %w", shown, err)))
			}

			fmt.Fprintf(stdout, "Copied %s to %s:\n\n", filepath.Join(dir, sqlite.FileName), shown)
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tROWS")
			total := 0
			for _, t := range slices.Sorted(maps.Keys(counts)) {
				fmt.Fprintf(tw, "%s\t%d\n", t, counts[t])
				total += counts[t]
			}
			fmt.Fprintf(tw, "total\t%d\n", total)
			if err := tw.Flush(); err != nil {
				return fail(err)
			}
			_, hasPassword := target.User.Password()
			printReplicaInstructions(stdout, stderr, dir, shown, hasPassword)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the embedded installation: sqlite:DIR, or the data directory DIR")
	f.StringVar(&to, "to", os.Getenv("RAMPART_DB"), "the empty PostgreSQL database: postgres://user:pass@host:5432/db (env RAMPART_DB)")
	return cmd
}

// sqliteSourceDir returns the absolute data directory --from names, which must
// hold a Rampart database (sqlite.Open would create an empty one
// anywhere else).
func sqliteSourceDir(from string) (string, error) {
	dir, ok := strings.CutPrefix(from, "sqlite:")
	if !ok && strings.Contains(from, "://") {
		return "", fmt.Errorf("--from must be sqlite:DIR or a data directory, not %q", from)
	}
	if dir == "" {
		return "", errors.New("--from is required: sqlite:DIR, the data directory of the embedded installation")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--from: %w", err)
	}
	if info, err := os.Stat(filepath.Join(abs, sqlite.FileName)); err != nil || !info.Mode().IsRegular() {
		return "", fmt.Errorf("--from: %s holds no Rampart database (%s)", abs, sqlite.FileName)
	}
	return abs, nil
}

// printReplicaInstructions tells how to start the replicas: with the data
// directory's sealing key (its path, never its contents).
func printReplicaInstructions(stdout, stderr io.Writer, dir, shownURL string, redacted bool) {
	keyFile := filepath.Join(dir, "secret.key")
	if _, err := os.Stat(keyFile); err != nil {
		fmt.Fprintf(stderr, "warning: %s is missing: secrets sealed in the source (Apex Central application keys, TOTP secrets) cannot be opened without it\n", keyFile)
		return
	}
	fmt.Fprintf(stdout, "\nApex Central application keys and TOTP secrets are sealed with %s.\n", keyFile)
	fmt.Fprintln(stdout, "Start every replica on the PostgreSQL database with that key (copy the file, mode 0600, to each host):")
	fmt.Fprintf(stdout, "\n  rampart serve --db %s --secret-key-file %s\n\n", quoteShellArg(shownURL), quoteShellArg(keyFile))
	if redacted {
		fmt.Fprintln(stdout, "(with the database password in place of xxxxx, or the URL in RAMPART_DB instead of --db)")
	}
	cert, certKey := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(cert); err == nil {
		fmt.Fprintf(stdout, "To keep the certificate clients know, add --tls-cert %s --tls-key %s.\n", quoteShellArg(cert), quoteShellArg(certKey))
	}
	if token := filepath.Join(dir, "agent.token"); fileExists(token) {
		fmt.Fprintf(stdout, "To keep the agent token agents already hold, add --agent-token-file %s.\n", quoteShellArg(token))
	}
	fmt.Fprintf(stdout, "Do not start the server on %s again: from now on the data lives in PostgreSQL.\n", dir)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var shellSafeArg = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// quoteShellArg quotes s for a POSIX shell when it needs quoting.
func quoteShellArg(s string) string {
	if shellSafeArg.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
