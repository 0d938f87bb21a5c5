// Command seed003-create-api-key does the tutorial "Create an API key"
// (seed 003) through the SDK: it finds a role by name (Auditor by default)
// and creates an API key with it that expires in two weeks. With the
// administrator's user name and password instead of an API key (or with
// -bootstrap) it creates the key the way the tutorial creates the first
// one: sign in for a session, create the key with it, sign out.
//
// The new key's secret is shown once by the server; this program writes it
// to the -secret-out file (mode 0600) and never prints it.
//
//	go run ./examples/seed003-create-api-key -credentials rampart-data/credentials.json -secret-out auditor.key
//	RAMPART_PASSWORD=... go run ./examples/seed003-create-api-key -url https://127.0.0.1:8443 -pin AB:CD:... \
//	    -user administrator -bootstrap -role "Full Access" -name "First Key" -secret-out first.key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rampart-sec/rampart/client/workload"
	"github.com/rampart-sec/rampart/examples/internal/exampleconfig"
)

type params struct {
	role, name, description, locale, timeZone string
	expiresIn                                 time.Duration
	bootstrap                                 bool
	secretOut                                 string
}

func main() {
	fs := flag.NewFlagSet("seed003-create-api-key", flag.ExitOnError)
	cfg := exampleconfig.Register(fs)
	var p params
	fs.StringVar(&p.role, "role", "Auditor", "name of the role to give the key")
	fs.StringVar(&p.name, "name", "auditing", "the key's name")
	fs.StringVar(&p.description, "description", "Read-only access", "the key's description")
	fs.StringVar(&p.locale, "locale", "en-US", "the key's locale (en-US or ja-JP)")
	fs.StringVar(&p.timeZone, "time-zone", "Asia/Tokyo", "the key's time zone")
	fs.DurationVar(&p.expiresIn, "expires-in", 14*24*time.Hour, "how long the key lives (0: no expiry)")
	fs.BoolVar(&p.bootstrap, "bootstrap", false, "sign in with -user and RAMPART_PASSWORD instead of using an API key")
	fs.StringVar(&p.secretOut, "secret-out", "", "file to write the new key's secret to (required; mode 0600)")
	_ = fs.Parse(os.Args[1:])
	exampleconfig.Main(cfg, func(ctx context.Context) error { return run(ctx, cfg, p, os.Stdout) })
}

func run(ctx context.Context, cfg *exampleconfig.Config, p params, out io.Writer) error {
	if p.secretOut == "" {
		return errors.New("give -secret-out FILE: the secret is shown only once and is never printed")
	}
	if !p.bootstrap && cfg.SecretKey == "" {
		p.bootstrap = true // no key yet: create the first one with a session, as the tutorial does
	}
	if p.bootstrap && (cfg.User == "" || cfg.Password == "") {
		return errors.New("bootstrapping needs -user and RAMPART_PASSWORD")
	}
	if p.bootstrap {
		cfg.SecretKey = ""
	}
	c, err := cfg.Workload()
	if err != nil {
		return err
	}
	key := workload.NewAPIKey{KeyName: p.name, Description: p.description, Locale: p.locale, TimeZone: p.timeZone}
	if p.expiresIn > 0 {
		key.ExpiryDate = cfg.Now().Add(p.expiresIn).UnixMilli()
	}

	var created workload.APIKey
	if p.bootstrap {
		// Obtain a session cookie and a request ID, create the key with
		// them, sign out.
		s, err := c.SignIn(ctx, workload.Credentials{UserName: cfg.User, Password: cfg.Password})
		if err != nil {
			return fmt.Errorf("signing in: %w", err)
		}
		fmt.Fprintf(out, "signed in as administrator %d\n", s.AdministratorID)
		sc := c.WithSession(s)
		defer func() {
			if err := sc.SignOut(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintln(os.Stderr, "warning: signing out:", err)
			} else {
				fmt.Fprintln(out, "signed out")
			}
		}()
		c = sc
	}
	// Obtain the role ID.
	role, err := c.RoleByName(ctx, p.role)
	if err != nil {
		return fmt.Errorf("finding role %q: %w", p.role, err)
	}
	fmt.Fprintf(out, "role %q has ID %d\n", role.Name, role.ID)
	key.RoleID = role.ID
	if created, err = c.CreateAPIKey(ctx, key); err != nil {
		return fmt.Errorf("creating the API key: %w", err)
	}
	if err := os.WriteFile(p.secretOut, []byte(created.SecretKey+"\n"), 0o600); err != nil {
		return fmt.Errorf("the key %d was created but its secret could not be saved (delete the key and retry): %w", created.ID, err)
	}
	created.SecretKey = "" // printed below without it
	if err := exampleconfig.PrintJSON(out, created); err != nil {
		return err
	}
	fmt.Fprintf(out, "the secret of key %d is in %s; use it as api-secret-key\n", created.ID, p.secretOut)
	return nil
}
