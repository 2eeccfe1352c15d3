package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/strictjson"
)

// The strict pre-parse. golang-jwt (and Go's encoding packages) are lenient
// in ways that matter for a security token: base64 decoding skips CR/LF,
// encoding/json keeps the last of duplicate keys and matches struct fields
// case-insensitively ("EXP" fills Exp), and a NumericDate may arrive as a
// string. authkit therefore splits, decodes and scans every token itself
// (JSON through core/strictjson) before any signature or claim is looked
// at.

// parts is a compact JWS split into its three base64url segments, none of
// them decoded yet.
type parts struct {
	signingInput string // header "." payload, exactly as received
	header       string
	payload      string
	sig          string
}

// split checks that raw is exactly three non-empty base64url segments
// (alphabet [A-Za-z0-9_-], no padding, no whitespace). An empty signature
// is reported as ErrSignature.
func split(raw string, maxSize int) (parts, error) {
	if len(raw) > maxSize {
		return parts{}, reject(ErrTooLarge, fmt.Sprintf("%d bytes (maximum %d)", len(raw), maxSize))
	}
	if raw == "" {
		return parts{}, reject(ErrMalformed, "empty token")
	}
	dot1, dot2 := -1, -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return parts{}, reject(ErrMalformed, "more than three segments (JWE or junk)")
			}
		default:
			return parts{}, reject(ErrMalformed, "character outside the base64url alphabet")
		}
	}
	if dot2 < 0 {
		return parts{}, reject(ErrMalformed, "not three segments")
	}
	p := parts{signingInput: raw[:dot2], header: raw[:dot1], payload: raw[dot1+1 : dot2], sig: raw[dot2+1:]}
	if p.header == "" || p.payload == "" {
		return parts{}, reject(ErrMalformed, "empty header or payload")
	}
	if p.sig == "" {
		return parts{}, reject(ErrSignature, "missing signature")
	}
	return p, nil
}

// segments is a compact JWS split into its three parts, header and
// signature decoded.
type segments struct {
	signingInput string // header "." payload, exactly as received
	header       []byte // decoded
	payloadB64   string
	sig          []byte // decoded
}

// splitCompact is split followed by decoding the header and signature. The
// payload is decoded later, after the signature has been verified.
func splitCompact(raw string, maxSize int) (segments, error) {
	p, err := split(raw, maxSize)
	if err != nil {
		return segments{}, err
	}
	header, err := decodeSegment(p.header)
	if err != nil {
		return segments{}, reject(ErrMalformed, "header is not base64url")
	}
	sig, err := decodeSegment(p.sig)
	if err != nil {
		return segments{}, reject(ErrMalformed, "signature is not base64url")
	}
	return segments{signingInput: p.signingInput, header: header, payloadB64: p.payload, sig: sig}, nil
}

// b64Strict refuses non-canonical encodings (non-zero trailing bits).
// Strict returns a copy, so it is made once here rather than per call.
var b64Strict = b64.Strict()

// decodeSegment decodes unpadded base64url, refusing non-canonical
// encodings.
func decodeSegment(s string) ([]byte, error) {
	return b64Strict.DecodeString(s)
}

// decodeAppend decodes src (base64url bytes) strictly and appends the
// result to dst, growing it only when its capacity is too small, so callers
// can decode into a stack or pooled buffer.
func decodeAppend(dst, src []byte) ([]byte, error) {
	n := b64Strict.DecodedLen(len(src))
	if cap(dst)-len(dst) < n {
		dst = slices.Grow(dst, n)
	}
	m, err := b64Strict.Decode(dst[len(dst):len(dst)+n], src)
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+m], nil
}

// parseObject checks data with strictjson.Check and returns its members.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	if err := strictjson.Check(data); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// header is the part of a JOSE header authkit acts on.
type header struct {
	alg, kid, typ, cty string
}

// refusedHeaders are members whose presence rejects a token: crit (no
// extension is understood, RFC 7515 §4.1.11), key-carrying headers that
// would let the token choose its own key (jku, x5u, x5c, jwk), and JWE or
// unencoded-payload markers.
var refusedHeaders = [...]string{"crit", "jku", "x5u", "x5c", "jwk", "enc", "zip", "epk", "b64"}

// maxKIDLen bounds the kid header; longer ids are refused.
const maxKIDLen = 256

func parseHeader(data []byte) (header, error) { return parseHeaderString(string(data)) }

// parseHeaderString parses a decoded header; the returned strings share
// src's memory.
func parseHeaderString(src string) (header, error) {
	var ms strictjson.Members
	if err := strictjson.Scan(src, &ms); err != nil {
		return header{}, reject(ErrMalformed, "header: "+err.Error())
	}
	for _, name := range refusedHeaders {
		if _, ok := ms.Lookup(name); ok {
			return header{}, reject(ErrUnsupportedHeader, name)
		}
	}
	var h header
	raw, ok := ms.Lookup("alg")
	if !ok {
		return header{}, reject(ErrAlgorithm, "no alg header")
	}
	if h.alg, ok = strictjson.String(raw); !ok {
		return header{}, reject(ErrMalformed, "alg is not a string")
	}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"kid", &h.kid}, {"typ", &h.typ}, {"cty", &h.cty}} {
		if raw, ok := ms.Lookup(f.name); ok {
			if *f.dst, ok = strictjson.String(raw); !ok {
				return header{}, reject(ErrMalformed, f.name+" is not a string")
			}
		}
	}
	if err := h.check(); err != nil {
		return header{}, err
	}
	return h, nil
}

// check applies the rules on a header's values once they are read: no
// nested JWT (cty), and no kid longer than maxKIDLen or one that could name
// a path or smuggle a control character into a key lookup or a log.
func (h header) check() error {
	if strings.EqualFold(h.cty, "JWT") {
		return reject(ErrUnsupportedHeader, "nested JWT")
	}
	kid := h.kid
	if len(kid) > maxKIDLen {
		return reject(ErrMalformed, "kid too long")
	}
	for _, r := range kid {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return reject(ErrMalformed, "kid holds a path or control character")
		}
	}
	if strings.Contains(kid, "..") {
		return reject(ErrMalformed, "kid holds a path")
	}
	return nil
}

// maxNumericDate is 9999-12-31T23:59:59Z; later dates are refused.
const maxNumericDate = 253402300799

// parseNumericDate reads a NumericDate (RFC 7519 §2): a non-negative JSON
// number of seconds, possibly fractional. Strings, booleans, negative,
// non-finite and out-of-range values (beyond year 9999) are refused.
func parseNumericDate(s string) (time.Time, bool) {
	if s == "" || (s[0] < '0' || s[0] > '9') {
		return time.Time{}, false // a string, negative, null, bool, object
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	if strings.ContainsAny(s, "eE") {
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64((f-sec)*1e9)).UTC(), true
	}
	intPart, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return time.Unix(sec, nsec).UTC(), true
}

// appendNumericDate writes t as seconds with millisecond precision, without
// a fraction when it is whole.
func appendNumericDate(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	b = strconv.AppendInt(b, ms/1000, 10)
	if r := ms % 1000; r != 0 {
		b = append(b, '.')
		frac := strconv.AppendInt(nil, r+1000, 10)[1:] // zero-padded to 3 digits
		frac = bytes.TrimRight(frac, "0")
		b = append(b, frac...)
	}
	return b
}
