package sealing_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/sealing"
)

func newBox(t *testing.T, b byte) *sealing.Box {
	t.Helper()
	box, err := sealing.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return box
}

func TestRoundTrip(t *testing.T) {
	box := newBox(t, 1)
	for _, plain := range [][]byte{
		[]byte("5A2B1C3D-1111-4222-8333-444455556666"),
		{},
		bytes.Repeat([]byte{0, 0xff}, 4096),
	} {
		sealed, err := box.Seal(plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(plain) > 0 && bytes.Contains(sealed, plain) {
			t.Errorf("sealed value holds the plaintext")
		}
		got, err := box.Open(sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q", plain, got)
		}
	}
}

func TestNonceUnique(t *testing.T) {
	box := newBox(t, 1)
	plain := []byte("the same key")
	seen := map[string]bool{}
	for range 100 {
		sealed, err := box.Seal(plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if seen[string(sealed)] {
			t.Fatal("two seals of the same plaintext are equal")
		}
		seen[string(sealed)] = true
		nonce := string(sealed[:12])
		if seen["nonce:"+nonce] {
			t.Fatal("a nonce was used twice")
		}
		seen["nonce:"+nonce] = true
	}
}

func TestOpenRefuses(t *testing.T) {
	box := newBox(t, 1)
	sealed, err := box.Seal([]byte("secret API key"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name  string
		box   *sealing.Box
		value []byte
	}{
		{"wrong key", newBox(t, 2), sealed},
		{"tampered nonce", box, flip(0)},
		{"tampered ciphertext", box, flip(12)},
		{"tampered tag", box, flip(len(sealed) - 1)},
		{"truncated", box, sealed[:len(sealed)-1]},
		{"too short", box, sealed[:10]},
		{"empty", box, nil},
		{"extended", box, append(bytes.Clone(sealed), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := tt.box.Open(tt.value); err == nil {
				t.Errorf("Open succeeded with %q", got)
			}
		})
	}
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := sealing.New(make([]byte, n)); err == nil {
			t.Errorf("New with a %d-byte key succeeded", n)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sealing.key")
	first, err := sealing.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (create): %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat key file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading key file: %v", err)
	}
	if key, err := hex.DecodeString(strings.TrimSpace(string(data))); err != nil || len(key) != 32 {
		t.Errorf("key file holds %q: want 32 bytes in hex", data)
	}

	sealed, err := first.Seal([]byte("secret"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	second, err := sealing.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (load): %v", err)
	}
	got, err := second.Open(sealed)
	if err != nil || string(got) != "secret" {
		t.Errorf("reloaded box opens %q, %v; want secret", got, err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, data) {
		t.Errorf("loading rewrote the key file")
	}

	// A key file of another data directory gives a box that opens nothing of this one.
	other, err := sealing.LoadOrCreate(filepath.Join(t.TempDir(), "sealing.key"))
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	if _, err := other.Open(sealed); err == nil {
		t.Error("a fresh key opened a value sealed under another")
	}
}

func TestLoadOrCreateOperatorKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)
	path := filepath.Join(t.TempDir(), "sealing.key")
	if err := os.WriteFile(path, []byte("  "+strings.ToUpper(hex.EncodeToString(key))+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	box, err := sealing.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	want, err := sealing.New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := want.Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := box.Open(sealed); err != nil || string(got) != "x" {
		t.Errorf("box from the operator's key file opens %q, %v", got, err)
	}
}

func TestLoadOrCreateMalformed(t *testing.T) {
	tests := map[string]string{
		"not hex":       strings.Repeat("zz", 32),
		"odd length":    strings.Repeat("a", 63),
		"too short":     strings.Repeat("ab", 16),
		"too long":      strings.Repeat("ab", 33),
		"empty":         "",
		"binary key":    string(bytes.Repeat([]byte{0xab}, 32)),
		"two keys":      strings.Repeat("ab", 32) + "\n" + strings.Repeat("cd", 32),
		"hex with junk": strings.Repeat("ab", 32) + "#",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sealing.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := sealing.LoadOrCreate(path); err == nil {
				t.Error("LoadOrCreate accepted a malformed key file")
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != content {
				t.Error("LoadOrCreate replaced a malformed key file")
			}
		})
	}
}

func TestLoadOrCreateUnreadable(t *testing.T) {
	// A directory where the file should be is an error, not a new key.
	dir := t.TempDir()
	path := filepath.Join(dir, "sealing.key")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := sealing.LoadOrCreate(path); err == nil {
		t.Error("LoadOrCreate succeeded on a directory")
	}
	// So is a missing parent directory.
	if _, err := sealing.LoadOrCreate(filepath.Join(dir, "missing", "sealing.key")); err == nil {
		t.Error("LoadOrCreate succeeded without its directory")
	}
}

// TestLoadAndDerive: Load refuses a missing or bad key file instead of
// inventing a key; two Boxes of one key derive the same secrets, and
// different purposes or keys give different ones.
func TestLoadAndDerive(t *testing.T) {
	dir := t.TempDir()
	if _, err := sealing.Load(filepath.Join(dir, "missing.key")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sealing.Load(bad); err == nil {
		t.Error("Load of a non-hex file succeeded")
	}
	path := filepath.Join(dir, "secret.key")
	a, err := sealing.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sealing.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	c, err := sealing.FromHex(" " + string(data) + " ")
	if err != nil {
		t.Fatal(err)
	}
	if x := a.Derive("agent-token"); x != b.Derive("agent-token") || x != c.Derive("agent-token") || len(x) != 64 {
		t.Errorf("one key derived different secrets: %s %s %s", x, b.Derive("agent-token"), c.Derive("agent-token"))
	}
	if a.Derive("agent-token") == a.Derive("other") {
		t.Error("two purposes derived one secret")
	}
	if a.Derive("agent-token") == newBox(t, 7).Derive("agent-token") {
		t.Error("two keys derived one secret")
	}
	sealed, err := a.Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(sealed); err != nil || string(got) != "x" {
		t.Errorf("a Box loaded from the file cannot open what the first sealed: %q %v", got, err)
	}
}
