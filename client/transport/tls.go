package transport

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// InsecureWarning is the warning an Insecure TLS configuration gives.
const InsecureWarning = "TLS certificate verification is disabled (insecure): anyone on the network path can read and change these calls; pin the server's certificate fingerprint or give its CA file instead"

// TLSOptions say how the server's certificate is checked. With none set,
// the system's roots verify it, as browsers do.
type TLSOptions struct {
	// CAFile is a PEM file of CA certificates to trust instead of the
	// system's roots (e.g. the self-signed tls.crt of `rampart serve`).
	CAFile string
	// PinnedSHA256 are SHA-256 fingerprints of the server's own (leaf)
	// certificate, in hex, with or without colons, in either case, with an
	// optional "sha256:" prefix (the form `rampart serve` writes to
	// credentials.json and openssl prints). The connection is accepted when
	// the leaf matches any of them, so a self-signed certificate works
	// without disabling verification; with CAFile as well, the chain must
	// verify too. Several pins allow a certificate rotation.
	PinnedSHA256 []string
	// Insecure turns verification off. It is never the default, it cannot
	// be combined with pins, and it produces InsecureWarning.
	Insecure bool
	// ServerName overrides the name checked against the certificate.
	ServerName string
}

// set reports whether any option is given.
func (o TLSOptions) set() bool {
	return o.CAFile != "" || len(o.PinnedSHA256) > 0 || o.Insecure || o.ServerName != ""
}

// ParseFingerprint reads a SHA-256 certificate fingerprint in any of the
// forms PinnedSHA256 accepts.
func ParseFingerprint(s string) ([]byte, error) {
	v := strings.TrimSpace(s)
	if len(v) > 7 && strings.EqualFold(v[:7], "sha256:") {
		v = v[7:]
	}
	v = strings.NewReplacer(":", "", " ", "", "-", "").Replace(v)
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("certificate fingerprint %q is not a SHA-256 hex digest (64 hex digits, colons allowed)", s)
	}
	return b, nil
}

// Fingerprint returns the SHA-256 fingerprint of a DER certificate as
// colon-separated upper-case hex, the form `rampart serve` writes.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// Config builds the tls.Config that o describes. warnings holds
// InsecureWarning when o is Insecure.
func (o TLSOptions) Config() (cfg *tls.Config, warnings []string, err error) {
	cfg = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.Insecure && len(o.PinnedSHA256) > 0 {
		return nil, nil, errors.New("TLS: insecure and a pinned fingerprint contradict each other; keep the pin")
	}
	var roots *x509.CertPool
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("TLS: reading CA file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("TLS: CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = roots
	}
	if o.Insecure {
		cfg.InsecureSkipVerify = true
		return cfg, []string{InsecureWarning}, nil
	}
	if len(o.PinnedSHA256) == 0 {
		return cfg, nil, nil
	}
	pins := make([][]byte, len(o.PinnedSHA256))
	for i, p := range o.PinnedSHA256 {
		if pins[i], err = ParseFingerprint(p); err != nil {
			return nil, nil, fmt.Errorf("TLS: %w", err)
		}
	}
	// The chain check is replaced by the pin check below (and done there
	// when a CA file is given too); VerifyConnection runs on every
	// handshake, resumed ones included.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyPinned(cs, pins, roots)
	}
	return cfg, nil, nil
}

// PinError is a server certificate that matches no pinned fingerprint.
type PinError struct {
	// Fingerprint is the certificate's, in the form Fingerprint returns.
	Fingerprint string
}

func (e *PinError) Error() string {
	return "TLS: the server's certificate fingerprint " + e.Fingerprint + " matches no pinned fingerprint"
}

// verifyPinned accepts the connection when the leaf certificate's SHA-256
// is one of pins and, with roots, when its chain verifies for the name
// dialled.
func verifyPinned(cs tls.ConnectionState, pins [][]byte, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("TLS: the server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	matched := false
	for _, p := range pins {
		if subtle.ConstantTimeCompare(sum[:], p) == 1 {
			matched = true
		}
	}
	if !matched {
		return &PinError{Fingerprint: Fingerprint(leaf.Raw)}
	}
	if roots == nil {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cs.ServerName}); err != nil {
		return fmt.Errorf("TLS: pinned certificate does not verify against the CA file: %w", err)
	}
	return nil
}
