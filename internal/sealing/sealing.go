// Package sealing encrypts secrets at rest with AES-256-GCM under a key kept
// in a file of the data directory (or given by the operator). It owns the key
// file's format and permissions and imports only the standard library.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("sealing key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating GCM: %w", err)
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// LoadOrCreate reads the hex key in path, creating the file with a random
// key and mode 0600 when it does not exist yet.
func LoadOrCreate(path string) (*Box, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating sealing key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("creating key file: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing key file: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("syncing key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("closing key file: %w", err)
		}
		return New(key)
	}
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("key file %s is not hex: %w", path, err)
	}
	return New(key)
}

// Load reads the hex key in path, which must exist: replicas sharing a
// database must share the key, so none may invent its own.
func Load(path string) (*Box, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	return FromHex(string(data))
}

// FromHex returns a Box for a key written as 64 hex digits (surrounding
// space ignored), as key files hold it.
func FromHex(s string) (*Box, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("the key is not hex (want 64 hex digits)")
	}
	return New(key)
}

// Derive returns a secret for purpose, derived from the key with
// HMAC-SHA256, in hex: every holder of the key derives the same one, and
// it reveals nothing of the key.
func (b *Box) Derive(purpose string) string {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(purpose))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext; the random nonce is stored in front.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Open decrypts what Seal produced.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("opening sealed value (wrong key file?): %w", err)
	}
	return out, nil
}
