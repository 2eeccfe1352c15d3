package mfa_test

import (
	"bytes"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/authkit-go/authkit/core/mfa"
)

var labelCases = []struct{ name, issuer, account string }{
	{"plain", "Example", "alice@example.com"},
	{"ampersand and colon in the issuer", "A&B:C", "alice"},
	{"colon in the account", "A&B:C", "alice:admin"},
	{"percent", "100% Co", "50%off@example.com"},
	{"spaces", "Acme Corp", "Alice Liddell"},
	{"plus, hash, query and equals", "a+b#c?d=e", "x+y@example.com"},
	{"slash and backslash", "a/b\\c", "../etc"},
	{"non-ASCII", "Bücher & Söhne", "渡辺@例え.jp"},
	{"emoji", "🔐 Vault", "ünïcødé"},
	{"already escaped", "%3A%26", "%20"},
}

// TestURIEscaping parses each URI back with net/url: the issuer parameter,
// the label and every other parameter come back exactly.
func TestURIEscaping(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tt := range labelCases {
		t.Run(tt.name, func(t *testing.T) {
			p := mfa.Params{Algorithm: mfa.SHA256, Digits: 8, Period: 60 * time.Second}
			uri, err := p.URI(tt.issuer, tt.account, secret)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", uri, err)
			}
			if u.Scheme != "otpauth" || u.Host != "totp" {
				t.Fatalf("scheme/host %q/%q", u.Scheme, u.Host)
			}
			q, err := url.ParseQuery(u.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			want := url.Values{
				"secret": {"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}, "issuer": {tt.issuer},
				"algorithm": {"SHA256"}, "digits": {"8"}, "period": {"60"},
			}
			if q.Encode() != want.Encode() {
				t.Fatalf("query = %v, want %v", q, want)
			}
			if u.Path != "/"+tt.issuer+":"+tt.account {
				t.Fatalf("decoded path %q", u.Path)
			}
			// The separator is the only literal ':' of the escaped label.
			label := strings.TrimPrefix(u.EscapedPath(), "/")
			gotIssuer, gotAccount, ok := strings.Cut(label, ":")
			if !ok || strings.Contains(gotAccount, ":") {
				t.Fatalf("escaped label %q", label)
			}
			if i, _ := url.PathUnescape(gotIssuer); i != tt.issuer {
				t.Fatalf("label issuer %q, want %q", i, tt.issuer)
			}
			if a, _ := url.PathUnescape(gotAccount); a != tt.account {
				t.Fatalf("label account %q, want %q", a, tt.account)
			}
			for _, c := range uri[len("otpauth://totp/"):] {
				if c > 0x7e || c == ' ' || c == '+' || c == '#' {
					t.Fatalf("URI %q holds %q unescaped", uri, c)
				}
			}
		})
	}
}

func TestURIRefusesBadLabels(t *testing.T) {
	for _, tt := range []struct{ name, issuer, account string }{
		{"empty issuer", "", "alice"},
		{"empty account", "Example", ""},
		{"newline", "Example", "alice\nbob"},
		{"NUL", "Ex\x00ample", "alice"},
		{"DEL", "Example", "alice\x7f"},
		{"C1 control", "Example", "alice\u0085"},
		{"not UTF-8", "Example", "alice\xff"},
		{"257 bytes", "Example", strings.Repeat("a", 257)},
	} {
		if _, err := mfa.DefaultParams.URI(tt.issuer, tt.account, []byte("0123456789")); !errors.Is(err, mfa.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", tt.name, err)
		}
	}
}

// readQR decodes a PNG's QR code with an independent reader (gozxing),
// locating it as a camera app would: by its finder patterns.
func readQR(t *testing.T, pngBytes []byte) string {
	t.Helper()
	return decodeQR(t, pngBytes, nil)
}

// readPureQR decodes a PNG's QR code with gozxing's reader for pure,
// axis-aligned codes (which our PNGs are): the symbol is located by its
// bounding box instead of its finder patterns, then read and Reed-Solomon
// checked as usual. Tests of random secrets use it. About one random URI
// in 200 encodes to data modules holding a finder-like 1:1:3:1:1 shape in
// both directions above the real bottom-left finder pattern (the ISO mask
// penalty only counts such shapes with four light modules beside them);
// gozxing's detector, like ZXing's, scans from the top and stops at the
// first three confirmed centres, so it takes that shape for a finder and
// fails — TestQRCodeDetectorFalseFinder pins such a URI. The code itself
// is valid, which is what the tests must establish.
func readPureQR(t *testing.T, pngBytes []byte) string {
	t.Helper()
	return decodeQR(t, pngBytes, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
}

func decodeQR(t *testing.T, pngBytes []byte, hints map[gozxing.DecodeHintType]any) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("no QR code found: %v", err)
	}
	return res.GetText()
}

// TestQRCodeDetectorFalseFinder pins a URI whose QR code gozxing's finder
// pattern detector misreads (see readPureQR) and checks that the code
// itself reads back exactly.
func TestQRCodeDetectorFalseFinder(t *testing.T) {
	const uri = "otpauth://totp/Example%20Co:alice%40example.com?algorithm=SHA1&digits=6&issuer=Example%20Co&period=30&secret=W7NYVBOKTXBKQA74W42W42DDX2I5ALUW"
	png, err := mfa.QRCode(uri, mfa.DefaultQRSize)
	if err != nil {
		t.Fatal(err)
	}
	if got := readPureQR(t, png); got != uri {
		t.Fatalf("QR code holds %q, want %q", got, uri)
	}
}

// TestQRCodeDecodes reads each QR code back and finds the URI exactly.
func TestQRCodeDecodes(t *testing.T) {
	secret := bytes.Repeat([]byte{0xa5}, 64) // a long secret makes a dense code
	for i, tt := range labelCases {
		sizes := []int{mfa.DefaultQRSize}
		if i == 0 {
			sizes = append(sizes, 128, 1024) // the smallest and largest, once
		}
		for _, size := range sizes {
			uri, err := mfa.DefaultParams.URI(tt.issuer, tt.account, secret)
			if err != nil {
				t.Fatal(err)
			}
			png, err := mfa.QRCode(uri, size)
			if err != nil {
				t.Fatalf("%s, %d px: %v", tt.name, size, err)
			}
			if got := readQR(t, png); got != uri {
				t.Fatalf("%s, %d px: QR code holds %q, want %q", tt.name, size, got, uri)
			}
		}
	}
	if _, err := mfa.QRCode("otpauth://totp/x", 100); !errors.Is(err, mfa.ErrInvalidConfig) {
		t.Errorf("size 100: %v", err)
	}
	if _, err := mfa.QRCode(strings.Repeat("x", 3000), 128); !errors.Is(err, mfa.ErrInvalidInput) {
		t.Errorf("3000 bytes in 128 px: %v", err)
	}
}
