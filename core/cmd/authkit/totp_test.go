package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// oracle is RFC 6238 written out from the RFC with the standard library,
// independent of pquerna/otp, to check the CLI against.
func oracle(secret []byte, alg string, digits int, period, unix int64) string {
	hf := map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}[alg]
	mac := hmac.New(hf, secret)
	binary.Write(mac, binary.BigEndian, uint64(unix/period))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

func b32(b []byte, padded bool) string {
	if padded {
		return base32.StdEncoding.EncodeToString(b)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// TestTOTPRFC6238 runs all 18 rows of RFC 6238 Appendix B through
// "totp code" and "totp verify".
func TestTOTPRFC6238(t *testing.T) {
	var v struct {
		Secrets map[string]string
		Vectors []struct {
			Time      int64
			Algorithm string
			Code      string
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, "../../mfa/testdata/rfc6238.json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) != 18 {
		t.Fatalf("%d vectors", len(v.Vectors))
	}
	for _, tc := range v.Vectors {
		t.Run(tc.Algorithm+"/"+strconv.FormatInt(tc.Time, 10), func(t *testing.T) {
			secret := b32([]byte(v.Secrets[tc.Algorithm]), false)
			args := []string{"--secret", secret, "--time", strconv.FormatInt(tc.Time, 10), "--digits", "8", "--algorithm", tc.Algorithm}
			code, stdout, stderr := runCLI(t, "", append([]string{"totp", "code"}, args...)...)
			if code != exitOK || stdout != tc.Code+"\n" {
				t.Fatalf("code: exit %d, stdout %q, stderr %q; want %s", code, stdout, stderr, tc.Code)
			}
			code, stdout, _ = runCLI(t, "", append([]string{"totp", "verify", "--code", tc.Code, "--skew", "0"}, args...)...)
			if code != exitOK || stdout != "valid\n" {
				t.Fatalf("verify: exit %d, stdout %q", code, stdout)
			}
		})
	}
}

// TestTOTPSecretForms: secrets of 13, 20, 32 and 64 bytes, padded or not,
// either case, against the independent oracle, for every algorithm,
// length and both common periods.
func TestTOTPSecretForms(t *testing.T) {
	const at = 1_900_000_000
	for _, size := range []int{13, 20, 32, 64} {
		raw := bytes.Repeat([]byte{0x9c, 0x31, 0x07}, 22)[:size]
		for _, form := range []string{b32(raw, false), b32(raw, true), strings.ToLower(b32(raw, true))} {
			for _, alg := range []string{"SHA1", "SHA256", "SHA512"} {
				for _, digits := range []int{6, 8} {
					for _, period := range []int64{30, 60} {
						want := oracle(raw, alg, digits, period, at)
						args := []string{"--secret", form, "--time", strconv.Itoa(at), "--algorithm", alg,
							"--digits", strconv.Itoa(digits), "--period", strconv.FormatInt(period, 10)}
						code, stdout, stderr := runCLI(t, "", append([]string{"totp", "code"}, args...)...)
						if code != exitOK || stdout != want+"\n" {
							t.Fatalf("%d bytes %q %s/%d/%d: exit %d %q %q, want %s", size, form, alg, digits, period, code, stdout, stderr, want)
						}
						if code, _, _ := runCLI(t, "", append([]string{"totp", "verify", "--code", want}, args...)...); code != exitOK {
							t.Fatalf("%d bytes %q %s/%d/%d: verify exit %d", size, form, alg, digits, period, code)
						}
					}
				}
			}
		}
	}
}

func TestTOTPVerifyExitCodes(t *testing.T) {
	raw := []byte("12345678901234567890")
	secret := b32(raw, false)
	const at = 1_800_000_015
	now := oracle(raw, "SHA1", 6, 30, at)
	prev := oracle(raw, "SHA1", 6, 30, at-30)
	next := oracle(raw, "SHA1", 6, 30, at+30)
	old := oracle(raw, "SHA1", 6, 30, at-60)
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, now)+1)%1_000_000)
	base := []string{"totp", "verify", "--secret", secret, "--time", strconv.Itoa(at)}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"valid", []string{"--code", now}, exitOK},
		{"valid with spaces", []string{"--code", now[:3] + " " + now[3:]}, exitOK},
		{"valid with a dash", []string{"--code", now[:3] + "-" + now[3:]}, exitOK},
		{"previous step, default skew", []string{"--code", prev}, exitOK},
		{"next step, skew 1", []string{"--code", next, "--skew", "1"}, exitOK},
		{"previous step, skew 0", []string{"--code", prev, "--skew", "0"}, exitNegative},
		{"two steps back", []string{"--code", old}, exitNegative},
		{"wrong code", []string{"--code", wrong}, exitNegative},
		{"five digits", []string{"--code", now[:5]}, exitNegative},
		{"seven digits", []string{"--code", now + "0"}, exitNegative},
		{"eight digits for a 6-digit code", []string{"--code", now + "00"}, exitNegative},
		{"letters", []string{"--code", "12ab56"}, exitNegative},
		{"empty code", []string{"--code", ""}, exitNegative},
		{"non-ASCII digits", []string{"--code", "١٢٣٤٥٦"}, exitNegative},
		{"1000 digits", []string{"--code", strings.Repeat("1", 1000)}, exitNegative},
		{"skew 2", []string{"--code", now, "--skew", "2"}, exitUsage},
		{"skew -1", []string{"--code", now, "--skew", "-1"}, exitUsage},
		{"no code", nil, exitUsage},
		{"unknown flag", []string{"--code", now, "--window", "3"}, exitUsage},
		{"stray argument", []string{"--code", now, "extra"}, exitUsage},
		{"help", []string{"-h"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append(base, tt.args...)...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d (stdout %q, stderr %q)", code, tt.want, stdout, stderr)
			}
			switch tt.want {
			case exitOK:
				if tt.name != "help" && stdout != "valid\n" {
					t.Errorf("stdout %q", stdout)
				}
			case exitNegative:
				if stdout != "invalid\n" {
					t.Errorf("stdout %q", stdout)
				}
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTOTPBadUsage: every malformed flag is exit 2, for code and verify.
func TestTOTPBadUsage(t *testing.T) {
	secret := b32([]byte("12345678901234567890"), false)
	tests := []struct {
		name string
		args []string
	}{
		{"no secret", []string{"--time", "59"}},
		{"empty secret", []string{"--secret", ""}},
		{"not base32", []string{"--secret", "not-base32!"}},
		{"digit 1 in base32", []string{"--secret", "GEZDGNB1"}},
		{"bad padding", []string{"--secret", "GEZDG=="}},
		{"time not a number", []string{"--secret", secret, "--time", "yesterday"}},
		{"time with a fraction", []string{"--secret", secret, "--time", "59.5"}},
		{"negative time", []string{"--secret", secret, "--time", "-30"}},
		{"time beyond int64", []string{"--secret", secret, "--time", "99999999999999999999"}},
		{"5 digits", []string{"--secret", secret, "--digits", "5"}},
		{"9 digits", []string{"--secret", secret, "--digits", "9"}},
		{"digits not a number", []string{"--secret", secret, "--digits", "six"}},
		{"period 0", []string{"--secret", secret, "--period", "0"}},
		{"negative period", []string{"--secret", secret, "--period", "-30"}},
		{"period too long", []string{"--secret", secret, "--period", "3601"}},
		{"period with a unit", []string{"--secret", secret, "--period", "30s"}},
		{"MD5", []string{"--secret", secret, "--algorithm", "MD5"}},
		{"empty algorithm", []string{"--secret", secret, "--algorithm", ""}},
		{"unknown flag", []string{"--secret", secret, "--bogus"}},
		{"stray argument", []string{"--secret", secret, "now"}},
	}
	for _, sub := range []string{"code", "verify"} {
		for _, tt := range tests {
			t.Run(sub+"/"+tt.name, func(t *testing.T) {
				args := append([]string{"totp", sub}, tt.args...)
				if sub == "verify" {
					args = append(args, "--code", "123456")
				}
				code, stdout, stderr := runCLI(t, "", args...)
				if code != exitUsage || stdout != "" || stderr == "" {
					t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 with a message", code, stdout, stderr)
				}
			})
		}
	}
}

func TestTOTPCode(t *testing.T) {
	raw := []byte("12345678901234567890")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"SHA-256 spelt with a dash, lower case", []string{"--algorithm", "sha-256", "--digits", "8", "--time", "59"}, oracle(raw, "SHA256", 8, 30, 59)},
		{"7 digits", []string{"--digits", "7", "--time", "59"}, oracle(raw, "SHA1", 7, 30, 59)},
		{"time 0", []string{"--time", "0"}, oracle(raw, "SHA1", 6, 30, 0)},
		{"past 2038, 60 s", []string{"--time", "20000000000", "--period", "60"}, oracle(raw, "SHA1", 6, 60, 20000000000)},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, "", append([]string{"totp", "code", "--secret", b32(raw, false)}, tt.args...)...)
		if code != exitOK || stdout != tt.want+"\n" {
			t.Errorf("%s: exit %d, %q, %q; want %s", tt.name, code, stdout, stderr, tt.want)
		}
	}
	// Without --time: now, six digits.
	code, stdout, _ := runCLI(t, "", "totp", "code", "--secret", b32(raw, false))
	if code != exitOK || !regexp.MustCompile(`^[0-9]{6}\n$`).MatchString(stdout) {
		t.Errorf("now: exit %d, %q", code, stdout)
	}
}

func TestTOTPSecret(t *testing.T) {
	qrPath := filepath.Join(t.TempDir(), "qr.png")
	code, stdout, stderr := runCLI(t, "", "totp", "secret", "--issuer", "A&B:C", "--account", "José Ø:1%", "--qr", qrPath)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "secret ") || !strings.HasPrefix(lines[1], "uri ") {
		t.Fatalf("stdout %q: want the lines \"secret <S>\" and \"uri <U>\"", stdout)
	}
	secret, uri := strings.TrimPrefix(lines[0], "secret "), strings.TrimPrefix(lines[1], "uri ")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 160 bits unpadded", secret, len(raw), err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/A&B:C:José Ø:1%" || q.Get("issuer") != "A&B:C" || q.Get("secret") != secret {
		t.Fatalf("URI %q parses to %v %v %q %v", uri, u.Scheme, u.Host, u.Path, q)
	}
	// The QR code holds the URI; the file is private.
	info, err := os.Stat(qrPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("QR file: %v, %v; want mode 0600", info, err)
	}
	img, err := png.Decode(bytes.NewReader([]byte(readFile(t, qrPath))))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != uri {
		t.Fatalf("QR code: %v, %v; want %q", res, err, uri)
	}
	// The secret works with the other subcommands.
	want := oracle(raw, "SHA1", 6, 30, 1_000_000_000)
	if code, stdout, _ := runCLI(t, "", "totp", "code", "--secret", secret, "--time", "1000000000"); code != exitOK || stdout != want+"\n" {
		t.Fatalf("code for the new secret: %d %q, want %s", code, stdout, want)
	}
	// Two runs, two secrets.
	_, again, _ := runCLI(t, "", "totp", "secret", "--issuer", "I", "--account", "A")
	if strings.Contains(again, secret) {
		t.Fatal("the same secret twice")
	}
}

func TestTOTPSecretBadUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"no issuer", []string{"--account", "a"}},
		{"no account", []string{"--issuer", "i"}},
		{"control character", []string{"--issuer", "i", "--account", "a\nb"}},
		{"account too long", []string{"--issuer", "i", "--account", strings.Repeat("a", 300)}},
		{"QR file in a missing directory", []string{"--issuer", "i", "--account", "a", "--qr", filepath.Join(t.TempDir(), "no", "qr.png")}},
		{"stray argument", []string{"--issuer", "i", "--account", "a", "x"}},
	} {
		code, stdout, stderr := runCLI(t, "", append([]string{"totp", "secret"}, tt.args...)...)
		if code != exitUsage || stdout != "" || stderr == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2", tt.name, code, stdout, stderr)
		}
	}
}

func TestTOTPDispatch(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"totp"}, exitUsage},
		{[]string{"totp", "bogus"}, exitUsage},
		{[]string{"totp", "help"}, exitOK},
		{[]string{"totp", "-h"}, exitOK},
		{[]string{"totp", "code", "-h"}, exitOK},
		{[]string{"help", "totp"}, exitOK},
	} {
		if code, _, stderr := runCLI(t, "", tt.args...); code != tt.want {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tt.args, code, tt.want, stderr)
		}
	}
}
