package mfa

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"
)

// maxLabel bounds an issuer or account name, in bytes.
const maxLabel = 256

// URI returns the otpauth:// key URI of secret for an authenticator app
// (the format Google Authenticator defined): the label "issuer:account"
// and the parameters secret, issuer, algorithm, digits and period.
//
// Issuer and account are percent-encoded byte by byte except for ASCII
// letters, digits and "-._~", in the label and in the issuer parameter
// alike (a space is %20, never '+'), so ':', '&', '%', '#', '+' and
// non-ASCII text survive any standard URL parser. pquerna/otp's own URI
// builder leaves '&' and ':' unescaped, which is why authkit builds it with
// net/url. Both must be 1 to 256 bytes of UTF-8 without control characters;
// the error wraps ErrInvalidInput.
func (p Params) URI(issuer, account string, secret []byte) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if err := checkLabel("issuer", issuer); err != nil {
		return "", err
	}
	if err := checkLabel("account name", account); err != nil {
		return "", err
	}
	if err := checkSecret(secret); err != nil {
		return "", err
	}
	q := url.Values{
		"secret":    {encodeSecret(secret)},
		"issuer":    {issuer},
		"algorithm": {string(p.Algorithm)},
		"digits":    {strconv.Itoa(p.Digits)},
		"period":    {strconv.FormatInt(int64(p.Period.Seconds()), 10)},
	}
	u := url.URL{
		Scheme:   "otpauth",
		Host:     "totp",
		Path:     "/" + issuer + ":" + account,
		RawPath:  "/" + escape(issuer) + ":" + escape(account),
		RawQuery: strings.ReplaceAll(q.Encode(), "+", "%20"),
	}
	return u.String(), nil
}

// escape percent-encodes everything but ASCII letters, digits and "-._~".
// url.QueryEscape does that, except that it writes a space as '+', which a
// path does not decode.
func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func checkLabel(what, s string) error {
	if s == "" || len(s) > maxLabel {
		return fmt.Errorf("%w: %s must be 1 to %d bytes", ErrInvalidInput, what, maxLabel)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidInput, what)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s holds a control character", ErrInvalidInput, what)
	}
	return nil
}

// QR code image sizes QRCode accepts, in pixels.
const (
	minQRSize = 128
	maxQRSize = 1024
)

// QRCode returns a PNG of the QR code of uri (error correction level M), a
// size×size black-on-white image with a quiet zone of a tenth of the size
// on each side. size is 128 to 1024 pixels.
func QRCode(uri string, size int) ([]byte, error) {
	if size < minQRSize || size > maxQRSize {
		return nil, fmt.Errorf("%w: QR code size %d (want %d to %d)", ErrInvalidConfig, size, minQRSize, maxQRSize)
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	margin := size / 10
	code, err := key.Image(size-2*margin, size-2*margin)
	if err != nil {
		return nil, fmt.Errorf("%w: URI too long for a QR code of %d pixels: %v", ErrInvalidInput, size, err)
	}
	// One bit per pixel keeps the PNG small; index 0, white, is the
	// background.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	draw.Draw(img, image.Rect(margin, margin, size-margin, size-margin), code, code.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
