// Package pgtest gives tests a fresh, empty PostgreSQL database each. It
// uses the cluster RAMPART_TEST_POSTGRES names (a URL of a database the
// user may CREATE DATABASE from; .ci/run starts one) or, without it,
// starts a throwaway cluster of its own from the PostgreSQL server binaries
// (initdb, pg_ctl) on a Unix socket in a temporary directory, as the
// unprivileged user "nobody" when the tests run as root, since PostgreSQL
// refuses to run as root.
//
// Without either, tests skip, except under CI=true, where a missing
// PostgreSQL is a failure: CI must run every suite.
//
// It imports pgx for its admin connection and testing; packages that use
// it call Main from their TestMain so the cluster it may start is stopped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the cluster to use instead of starting one.
const EnvURL = "RAMPART_TEST_POSTGRES"

// cluster is the process's PostgreSQL: started at most once.
var cluster struct {
	once    sync.Once
	admin   string // URL of a database to run CREATE DATABASE from
	err     error
	dir     string // set when this process started the cluster
	pgCtl   string
	runAs   *syscall.Credential
	stopped bool
}

// Main runs the package's tests and then stops the cluster, if this
// process started one.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	os.Exit(code)
}

// Available reports whether tests can get a database, and why not.
func Available() error {
	cluster.once.Do(start)
	return cluster.err
}

// URL creates an empty database for t and returns its URL; the database
// is dropped when t ends. Without PostgreSQL the test skips (fails when
// CI=true).
func URL(t testing.TB) string {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required in CI: %v", err)
		}
		t.Skipf("no PostgreSQL for this test (set %s or install the server binaries): %v", EnvURL, err)
	}
	name := "rampart_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	u, err := withDatabase(cluster.admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, cluster.admin)
	if err != nil {
		return fmt.Errorf("connecting to the test cluster: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns admin with its database name replaced.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func start() {
	if u := os.Getenv(EnvURL); u != "" {
		cluster.admin = u
		return
	}
	cluster.err = startOwn()
}

// startOwn runs initdb and pg_ctl start in a temporary directory.
func startOwn() error {
	initdb, err := findBinary("initdb")
	if err != nil {
		return err
	}
	if cluster.pgCtl, err = findBinary("pg_ctl"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rampart-pg-*")
	if err != nil {
		return err
	}
	cluster.dir = dir
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return fmt.Errorf("running as root and no user nobody to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		cluster.runAs = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return err
	}
	if cluster.runAs != nil {
		if err := os.Chown(data, int(cluster.runAs.Uid), int(cluster.runAs.Gid)); err != nil {
			return err
		}
	}
	if out, err := run(initdb, "-D", data, "-U", "rampart", "--auth=trust", "-E", "UTF8", "--locale=C"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c max_connections=300", data)
	if out, err := run(cluster.pgCtl, "-D", data, "-l", filepath.Join(data, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	cluster.admin = "postgres://rampart@localhost/postgres?sslmode=disable&host=" + url.QueryEscape(data)
	return nil
}

func stop() {
	if cluster.dir == "" || cluster.stopped {
		return
	}
	cluster.stopped = true
	_, _ = run(cluster.pgCtl, "-D", filepath.Join(cluster.dir, "data"), "-m", "immediate", "-w", "stop")
	_ = os.RemoveAll(cluster.dir)
}

// run runs a PostgreSQL binary, as nobody when the tests run as root.
func run(bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = os.TempDir()
	if cluster.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cluster.runAs}
	}
	return cmd.CombinedOutput()
}

// findBinary looks for a PostgreSQL server binary on PATH and in Debian's
// versioned directories.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", errors.New(name + " not found (Debian: apt-get install postgresql)")
}

// Redacted returns u without its password, for messages.
func Redacted(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return strings.SplitN(u, "@", 2)[0]
	}
	return parsed.Redacted()
}
