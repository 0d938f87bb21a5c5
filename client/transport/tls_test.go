package transport_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/transport"
)

// lockedBuffer is a log sink safe for the server's and client's
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// selfSignedServer starts a TLS server on loopback with a certificate of
// its own (httptest's built-in one is shared by every test server, so two
// of them could not tell their pins apart).
func selfSignedServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// writePEM writes srv's certificate as a CA file and returns its path.
func writePEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv, other := selfSignedServer(t, ok), selfSignedServer(t, ok)

	pin := transport.Fingerprint(srv.Certificate().Raw)
	plainPin := "sha256:" + strings.ToLower(strings.ReplaceAll(pin, ":", ""))
	otherPin := transport.Fingerprint(other.Certificate().Raw)
	ca, otherCA := writePEM(t, srv), writePEM(t, other)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		opts      transport.TLSOptions
		configErr string // New fails with this
		callErr   string // the call fails with this
		warned    bool
	}{
		{name: "system roots refuse a self-signed server", callErr: "certificate"},
		{name: "right pin", opts: transport.TLSOptions{PinnedSHA256: []string{pin}}},
		{name: "right pin, lower-case hex with sha256: prefix", opts: transport.TLSOptions{PinnedSHA256: []string{plainPin}}},
		{name: "wrong pin", opts: transport.TLSOptions{PinnedSHA256: []string{otherPin}}, callErr: "matches no pinned fingerprint"},
		{name: "one right pin of two", opts: transport.TLSOptions{PinnedSHA256: []string{otherPin, pin}}},
		{name: "CA file", opts: transport.TLSOptions{CAFile: ca}},
		{name: "CA file of another server", opts: transport.TLSOptions{CAFile: otherCA}, callErr: "certificate"},
		{name: "CA file and right pin", opts: transport.TLSOptions{CAFile: ca, PinnedSHA256: []string{pin}}},
		{name: "CA file and wrong pin", opts: transport.TLSOptions{CAFile: ca, PinnedSHA256: []string{otherPin}}, callErr: "matches no pinned fingerprint"},
		{name: "right pin but another CA", opts: transport.TLSOptions{CAFile: otherCA, PinnedSHA256: []string{pin}}, callErr: "does not verify against the CA file"},
		{name: "insecure warns", opts: transport.TLSOptions{Insecure: true}, warned: true},
		{name: "insecure with a pin", opts: transport.TLSOptions{Insecure: true, PinnedSHA256: []string{pin}}, configErr: "contradict"},
		{name: "pin too short", opts: transport.TLSOptions{PinnedSHA256: []string{"AB:CD"}}, configErr: "not a SHA-256 hex digest"},
		{name: "pin not hex", opts: transport.TLSOptions{PinnedSHA256: []string{strings.Repeat("zz", 32)}}, configErr: "not a SHA-256 hex digest"},
		{name: "CA file missing", opts: transport.TLSOptions{CAFile: filepath.Join(t.TempDir(), "none.pem")}, configErr: "reading CA file"},
		{name: "CA file without a certificate", opts: transport.TLSOptions{CAFile: notPEM}, configErr: "holds no PEM certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			sl := &sleeper{}
			c, err := transport.New(srv.URL, transport.Options{TLS: tc.opts, Sleep: sl.Sleep,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if tc.configErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.configErr) {
					t.Fatalf("New error %v, want one containing %q", err, tc.configErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			resp, err := c.Do(context.Background(), &transport.Request{Method: "GET", Path: "/"})
			if tc.callErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.callErr) {
					t.Fatalf("call error %v, want one containing %q", err, tc.callErr)
				}
				// A refused certificate will be refused again: no retry.
				if len(sl.Waits()) != 0 {
					t.Errorf("a certificate refusal was retried (waits %v)", sl.Waits())
				}
			} else if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("call: %v", err)
			}
			warned := len(c.Warnings()) == 1 && c.Warnings()[0] == transport.InsecureWarning
			if warned != tc.warned {
				t.Errorf("warnings %q, want the insecure warning: %v", c.Warnings(), tc.warned)
			}
			if logged := strings.Contains(logs.String(), "verification is disabled"); logged != tc.warned {
				t.Errorf("log %q, want the insecure warning logged: %v", logs.String(), tc.warned)
			}
		})
	}
}

func TestParseFingerprint(t *testing.T) {
	t.Parallel()
	hex64 := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{hex64, true},
		{strings.ToUpper(hex64), true},
		{"SHA256:" + hex64, true},
		{" " + hex64 + " ", true},
		{transport.Fingerprint([]byte("x")), true},
		{hex64[:62], false},
		{hex64 + "00", false},
		{"", false},
		{"sha1:" + hex64, false},
	} {
		b, err := transport.ParseFingerprint(tc.in)
		if (err == nil) != tc.ok || (tc.ok && len(b) != 32) {
			t.Errorf("ParseFingerprint(%q) = %x, %v; want ok %v", tc.in, b, err, tc.ok)
		}
	}
}
