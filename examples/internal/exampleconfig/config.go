// Package exampleconfig is what the examples share: the base URL,
// credentials and TLS settings, from flags, RAMPART_* environment
// variables or the credentials.json that `rampart serve --demo` writes,
// and the SDK clients built from them. Secrets are taken from the
// environment or the credentials file, never from flags (which other users
// can see in the process list).
//
// It imports the standard library and the SDK (client/...).
package exampleconfig

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/client/workload"
)

// Config is where and how the examples connect.
type Config struct {
	// URL is the server's base URL (RAMPART_URL, -url).
	URL string
	// AppID and APIKey are the Apex Central application's
	// (RAMPART_APP_ID, RAMPART_APP_KEY, as the CLI names them).
	AppID, APIKey string
	// SecretKey is a Workload / Network Security API key secret
	// (RAMPART_API_KEY, as the CLI names it).
	SecretKey string
	// User and Password sign an administrator in (RAMPART_USER, -user;
	// RAMPART_PASSWORD).
	User, Password string
	// CAFile, Pin and Insecure are the TLS settings (-ca-file, -pin,
	// -insecure; RAMPART_CA_FILE, RAMPART_PIN).
	CAFile, Pin string
	Insecure    bool
	// CredentialsFile is a credentials.json to fill the blanks from
	// (RAMPART_CREDENTIALS, -credentials).
	CredentialsFile string
	// Options are the transport options every client starts from; tests
	// set the clock and the sleeper here.
	Options transport.Options
}

// Register adds the common flags to fs, with the environment's values as
// defaults, and returns the Config they fill.
func Register(fs *flag.FlagSet) *Config {
	c := &Config{AppID: os.Getenv("RAMPART_APP_ID"), APIKey: os.Getenv("RAMPART_APP_KEY"),
		SecretKey: os.Getenv("RAMPART_API_KEY"), Password: os.Getenv("RAMPART_PASSWORD")}
	fs.StringVar(&c.URL, "url", os.Getenv("RAMPART_URL"), "server base URL, e.g. https://127.0.0.1:8443 (RAMPART_URL)")
	fs.StringVar(&c.CredentialsFile, "credentials", os.Getenv("RAMPART_CREDENTIALS"), "credentials.json written by `rampart serve --demo` (RAMPART_CREDENTIALS)")
	fs.StringVar(&c.User, "user", os.Getenv("RAMPART_USER"), "administrator to sign in as; the password comes from RAMPART_PASSWORD (RAMPART_USER)")
	fs.StringVar(&c.CAFile, "ca-file", os.Getenv("RAMPART_CA_FILE"), "PEM file of the CA certificates to trust (RAMPART_CA_FILE)")
	fs.StringVar(&c.Pin, "pin", os.Getenv("RAMPART_PIN"), "SHA-256 fingerprint of the server's certificate to pin (RAMPART_PIN)")
	fs.BoolVar(&c.Insecure, "insecure", false, "do not verify the server's certificate (warns; prefer -pin)")
	return c
}

// credentials is the form of credentials.json.
type credentials struct {
	URL         string `json:"url"`
	AppID       string `json:"apex_application_id"`
	APIKey      string `json:"apex_api_key"`
	User        string `json:"admin_username"`
	Password    string `json:"admin_password"`
	SecretKey   string `json:"api_secret_key"`
	Fingerprint string `json:"tls_sha256_fingerprint"`
}

// Load fills the blanks from the credentials file, if one is named: the
// server's certificate fingerprint becomes the pin unless TLS settings
// were given.
func (c *Config) Load() error {
	if c.CredentialsFile != "" {
		data, err := os.ReadFile(c.CredentialsFile)
		if err != nil {
			return fmt.Errorf("reading the credentials file: %w", err)
		}
		var cr credentials
		if err := json.Unmarshal(data, &cr); err != nil {
			return fmt.Errorf("reading the credentials file %s: %w", c.CredentialsFile, err)
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&c.URL, cr.URL)
		fill(&c.AppID, cr.AppID)
		fill(&c.APIKey, cr.APIKey)
		fill(&c.User, cr.User)
		fill(&c.Password, cr.Password)
		fill(&c.SecretKey, cr.SecretKey)
		if c.CAFile == "" && c.Pin == "" && !c.Insecure {
			c.Pin = cr.Fingerprint
		}
	}
	if c.URL == "" {
		return errors.New("no server URL: give -url, RAMPART_URL or -credentials")
	}
	return nil
}

// Now is the clock of the clients (Options.Now, else the real one).
func (c *Config) Now() time.Time {
	if c.Options.Now != nil {
		return c.Options.Now()
	}
	return time.Now()
}

// TransportOptions are Options with the TLS settings.
func (c *Config) TransportOptions() transport.Options {
	o := c.Options
	o.TLS = transport.TLSOptions{CAFile: c.CAFile, Insecure: c.Insecure}
	if c.Pin != "" {
		o.TLS.PinnedSHA256 = []string{c.Pin}
	}
	return o
}

// Apex returns an Apex Central client.
func (c *Config) Apex() (*apexcentral.Client, error) {
	cl, err := apexcentral.New(apexcentral.Config{BaseURL: c.URL, ApplicationID: c.AppID, APIKey: c.APIKey, Transport: c.TransportOptions()})
	if err != nil {
		return nil, err
	}
	warn(cl.Warnings())
	return cl, nil
}

// Workload returns a Workload Security client authenticated with the
// secret key (none when the key is empty, for signing in).
func (c *Config) Workload() (*workload.Client, error) {
	cl, err := workload.New(workload.Config{BaseURL: c.URL, APIKey: c.SecretKey, Transport: c.TransportOptions()})
	if err != nil {
		return nil, err
	}
	warn(cl.Warnings())
	return cl, nil
}

// Netsec returns a Network Security client.
func (c *Config) Netsec() (*netsec.Client, error) {
	cl, err := netsec.New(netsec.Config{BaseURL: c.URL, APIKey: c.SecretKey, Transport: c.TransportOptions()})
	if err != nil {
		return nil, err
	}
	warn(cl.Warnings())
	return cl, nil
}

func warn(ws []string) {
	for _, w := range ws {
		fmt.Fprintln(os.Stderr, "warning: "+w)
	}
}

// PrintJSON writes v indented, as the tutorials' json.dumps(..., indent=4).
func PrintJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	data, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// FirstAddress is the first address of a comma-joined ip_address_list.
func FirstAddress(list string) string {
	first, _, _ := strings.Cut(list, ",")
	return strings.TrimSpace(first)
}
