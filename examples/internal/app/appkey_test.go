package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

var (
	appKey32 = bytes.Repeat([]byte{0xfb}, 32)
	numbers  = regexp.MustCompile(`[0-9]+`)
)

// appKeyCases is the table of -app-key and AUTHKIT_APP_KEY values, for
// TestParseAppKey and the seeds of FuzzParseAppKey.
var appKeyCases = []struct {
	name, in string
	ok       bool
}{
	{"std padded", base64.StdEncoding.EncodeToString(appKey32), true},
	{"std raw", base64.RawStdEncoding.EncodeToString(appKey32), true},
	{"url padded", base64.URLEncoding.EncodeToString(appKey32), true},
	{"url raw", base64.RawURLEncoding.EncodeToString(appKey32), true},
	{"file with newline", base64.StdEncoding.EncodeToString(appKey32) + "\n", true},
	{"64 bytes", base64.StdEncoding.EncodeToString(append(appKey32, appKey32...)), true},
	{"31 bytes", base64.StdEncoding.EncodeToString(appKey32[:31]), false},
	{"empty", "", false},
	{"not base64", "this is not a key, it is a sentence of forty-four bytes", false},
	{"bad character", strings.Repeat("A", 43) + "!", false},
	{"white space inside", base64.StdEncoding.EncodeToString(appKey32)[:20] + " " + base64.StdEncoding.EncodeToString(appKey32)[20:], false},
	{"two encodings mixed", strings.Repeat("A", 21) + "-+" + strings.Repeat("A", 20), false},
	{"NUL", base64.StdEncoding.EncodeToString(appKey32) + "\x00", false},
}

func TestParseAppKey(t *testing.T) {
	for _, tc := range appKeyCases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseAppKey(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseAppKey = %v, want ok=%v", err, tc.ok)
			}
			checkAppKey(t, k, err)
		})
	}
}

// checkAppKey holds for every input: an error is one of ParseAppKey's two
// messages, so it never repeats the input (a secret), and an accepted key
// has at least MinAppKeyBytes and reads back from its String.
func checkAppKey(t *testing.T, k AppKey, err error) {
	t.Helper()
	if err != nil {
		if msg := numbers.ReplaceAllString(err.Error(), "N"); msg != "the application key is not baseN" && msg != "the application key has N bytes; it needs at least N random bytes" {
			t.Fatalf("error %q is not one of ParseAppKey's messages", err)
		}
		return
	}
	if len(k.secret) < MinAppKeyBytes {
		t.Fatalf("accepted %d bytes", len(k.secret))
	}
	if again, err := ParseAppKey(k.String()); err != nil || !bytes.Equal(again.secret, k.secret) {
		t.Fatalf("the key does not read back from its String (%v)", err)
	}
}

// FuzzParseAppKey: whatever -app-key's file or AUTHKIT_APP_KEY holds,
// ParseAppKey never panics, never quotes it in an error and accepts only
// 32 bytes or more.
func FuzzParseAppKey(f *testing.F) {
	for _, tc := range appKeyCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := ParseAppKey(in)
		checkAppKey(t, k, err)
	})
}

func TestAppKeyDerivesIndependentKeys(t *testing.T) {
	k := NewAppKey()
	seen := map[string]string{}
	for _, p := range []string{PurposeMFASeal, PurposeOAuthState, PurposeAudit} {
		d := k.Derive(p)
		if len(d) != 32 {
			t.Fatalf("%s: %d bytes", p, len(d))
		}
		if other, dup := seen[string(d)]; dup {
			t.Fatalf("%s and %s derive the same key", p, other)
		}
		if bytes.Contains(d, k.secret[:8]) {
			t.Fatalf("%s: the derived key shows the secret", p)
		}
		seen[string(d)] = p
	}
	again, err := ParseAppKey(k.String())
	if err != nil || !bytes.Equal(again.Derive(PurposeAudit), k.Derive(PurposeAudit)) {
		t.Fatalf("a key read back from its String derives differently (%v)", err)
	}
	if bytes.Equal(NewAppKey().Derive(PurposeAudit), k.Derive(PurposeAudit)) {
		t.Fatal("two fresh keys derive the same audit key")
	}
}

func TestLoadAppKey(t *testing.T) {
	ctx := context.Background()
	want := NewAppKey()
	file := filepath.Join(t.TempDir(), "app.key")
	if err := os.WriteFile(file, []byte(want.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := loadAppKey(ctx, file, "", nil, "")
	if err != nil || got.String() != want.String() {
		t.Fatalf("from a file: %v", err)
	}
	got, err = loadAppKey(ctx, "", want.String(), nil, "")
	if err != nil || got.String() != want.String() {
		t.Fatalf("from the environment: %v", err)
	}
	if _, err := loadAppKey(ctx, "", "c2hvcnQ=", nil, ""); err == nil || !strings.Contains(err.Error(), AppKeyEnv) {
		t.Fatalf("a short key in the environment: %v", err)
	}
	if _, err := loadAppKey(ctx, filepath.Join(t.TempDir(), "missing"), "", nil, ""); err == nil {
		t.Fatal("a missing file was accepted")
	}
	a, _ := loadAppKey(ctx, "", "", nil, "")
	b, _ := loadAppKey(ctx, "", "", nil, "")
	if a.String() == b.String() {
		t.Fatal("two generated keys are equal")
	}

	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		key := b.Prefix + "app-key"
		first, err := loadAppKey(ctx, "", "", b.Client, key)
		if err != nil {
			t.Fatal(err)
		}
		second, err := loadAppKey(ctx, "", "", b.Client, key)
		if err != nil || first.String() != second.String() {
			t.Fatalf("a restart on the same Redis got another key (%v)", err)
		}
	})
}
