package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

func TestParseAppKey(t *testing.T) {
	key32 := bytes.Repeat([]byte{0xfb}, 32)
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"std padded", base64.StdEncoding.EncodeToString(key32), true},
		{"std raw", base64.RawStdEncoding.EncodeToString(key32), true},
		{"url padded", base64.URLEncoding.EncodeToString(key32), true},
		{"url raw", base64.RawURLEncoding.EncodeToString(key32), true},
		{"file with newline", base64.StdEncoding.EncodeToString(key32) + "\n", true},
		{"64 bytes", base64.StdEncoding.EncodeToString(append(key32, key32...)), true},
		{"31 bytes", base64.StdEncoding.EncodeToString(key32[:31]), false},
		{"empty", "", false},
		{"not base64", "this is not a key, it is a sentence of forty-four bytes", false},
		{"bad character", strings.Repeat("A", 43) + "!", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseAppKey(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseAppKey = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && tc.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
				t.Fatalf("the error repeats the key: %v", err)
			}
			if err == nil && len(k.secret) < MinAppKeyBytes {
				t.Fatalf("accepted %d bytes", len(k.secret))
			}
		})
	}
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
