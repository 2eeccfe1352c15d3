package token

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Keys come from testdata/interop (made by jwcrypto), so no RSA key is
// generated at test time.
var (
	keyMu    sync.Mutex
	keyCache = map[string]*Key{}
)

// testKey returns the private (or HMAC) key for alg with kid "k-"+alg.
func testKey(tb testing.TB, alg Algorithm) *Key {
	tb.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	if k, ok := keyCache[string(alg)]; ok {
		return k
	}
	name := string(alg) + ".key.pem"
	if alg.IsSymmetric() {
		name = string(alg) + ".secret"
	}
	data, err := os.ReadFile(filepath.Join("testdata", "interop", name))
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := ParseKey(data, alg, "k-"+string(alg))
	if err != nil {
		tb.Fatal(err)
	}
	keyCache[string(alg)] = keys[0]
	return keys[0]
}

func readTestdata(tb testing.TB, parts ...string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func readFileErr(path string) ([]byte, error) { return os.ReadFile(path) }

// interopNow lies between the interop tokens' iat and exp.
var interopNow = time.Unix(1764331200+3600, 0)
