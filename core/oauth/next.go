package oauth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SafeReturnPath checks a post-login return path ("next") and returns it
// unchanged with true when it is safe to redirect to, or "/" and false.
//
// Safe means a path on this server: it starts with exactly one "/", and
// is at most MaxNextLength bytes of the characters RFC 3986 allows in a
// path, query and fragment (letters, digits, -._~!$&'()*+,;=:@/?#%), with
// every "%" starting a valid escape. Refused, because a browser or a proxy
// may turn them into another origin or another path: "//" and "/\" at the
// start, a backslash, space or control character anywhere, any character
// outside printable ASCII (send it percent-encoded), and whatever
// percent-decoding (applied repeatedly) makes of the path: a leading "//" or
// "/\", a backslash, a control or invisible character, a Unicode slash look-
// alike, invalid UTF-8, or a "." or ".." segment.
func SafeReturnPath(next string) (string, bool) {
	if safePath(next) {
		return next, true
	}
	return "/", false
}

func safePath(next string) bool {
	if next == "" || len(next) > MaxNextLength || next[0] != '/' {
		return false
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return false
	}
	for i := 0; i < len(next); i++ {
		b := next[i]
		switch {
		case b == '%':
			if i+2 >= len(next) || !isHex(next[i+1]) || !isHex(next[i+2]) {
				return false
			}
		case !pathByte(b):
			return false
		}
	}
	path := next
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// Decode until nothing changes (a few rounds cover double and triple
	// encoding; more rounds than that are refused), checking every form:
	// whichever layer a server, proxy or browser decodes, none may leave
	// this origin or step out of the path.
	for round := 0; ; round++ {
		if !decodedPathOK(path) {
			return false
		}
		if !strings.Contains(path, "%") {
			return true
		}
		if round == 3 {
			return false
		}
		dec := unescape(path)
		if dec == path {
			return true
		}
		path = dec
	}
}

// pathByte reports whether b is an RFC 3986 pchar, "/", "?" or "#"
// (unreserved, sub-delims, ":" and "@"), "%" aside.
func pathByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?#", b) >= 0
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// unescape decodes the valid %XX escapes of s and keeps any other "%" as
// it is, as browsers do (a literal "%" appears after decoding "%25").
func unescape(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			sb.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}

// decodedPathOK checks one decoding layer of a path.
func decodedPathOK(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	if !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r == '\\' || r == ' ' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || unicode.IsSpace(r) || slashLike(r) {
			return false
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// slashLike reports runes that Unicode normalisation (NFKC) or a confused
// parser may read as "/" or "\".
func slashLike(r rune) bool {
	switch r {
	case '\u2044', // FRACTION SLASH
		'\u2215', // DIVISION SLASH
		'\u2216', // SET MINUS
		'\u29F5', // REVERSE SOLIDUS OPERATOR
		'\u29F8', // BIG SOLIDUS
		'\u29F9', // BIG REVERSE SOLIDUS
		'\uFE68', // SMALL REVERSE SOLIDUS
		'\uFF0F', // FULLWIDTH SOLIDUS
		'\uFF3C', // FULLWIDTH REVERSE SOLIDUS
		'\u3033', // VERTICAL KANA REPEAT MARK UPPER HALF (renders as a slash)
		'\u1735', // PHILIPPINE SINGLE PUNCTUATION
		'\u0338', // COMBINING LONG SOLIDUS OVERLAY
		'\u2571', // BOX DRAWINGS LIGHT DIAGONAL
		'\u2572':
		return true
	}
	return false
}
