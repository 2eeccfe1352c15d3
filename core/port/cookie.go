package port

import (
	"net/http"
	"strings"
)

// maxScannedCookies is how many cookie pairs a request may carry for
// cookieValue to read them itself; with more it leaves them to net/http,
// whose Request.Cookie refuses every cookie of a request past its limit
// (3000 by default, GODEBUG httpcookiemaxnum).
const maxScannedCookies = 100

// cookieValue returns the value of the first cookie named name in the
// Cookie header fields lines, as net/http's Request.Cookie reads it: fields
// and pairs trimmed of spaces and tabs, pairs whose value holds a byte a
// cookie value may not skipped, one pair of surrounding double quotes
// stripped. Unlike Request.Cookie it builds no Cookie for the pairs it
// passes, so a request's cookie lookup allocates nothing. name must be a
// valid cookie name (a token); the pair it matches then has one too.
func cookieValue(lines []string, name string) (string, bool) {
	for _, line := range lines {
		line = trimCookieSpace(line)
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = trimCookieSpace(part)
			n, v, _ := strings.Cut(part, "=")
			if trimCookieSpace(n) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if validCookieValue(v) {
				return v, true
			}
		}
	}
	return "", false
}

// cookiePairs counts the pairs in the Cookie header fields lines as
// net/http counts them for its limit.
func cookiePairs(lines []string) int {
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	return n
}

// trimCookieSpace is s without leading and trailing ASCII space
// (net/textproto.TrimString, which Request.Cookie uses).
func trimCookieSpace(s string) string {
	for len(s) > 0 && isCookieSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isCookieSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isCookieSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// validCookieValue reports whether every byte of v may stand in a cookie
// value (RFC 6265 cookie-octet plus space and comma, as net/http accepts).
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// requestCookie is Request.Cookie's value for name, read by cookieValue
// when the request carries few enough cookies and name is a token.
func requestCookie(r *http.Request, name string) (string, bool) {
	lines := r.Header["Cookie"]
	if name != "" && validCookieName(name) && cookiePairs(lines) <= maxScannedCookies {
		return cookieValue(lines, name)
	}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// validCookieName reports whether name is an HTTP token (RFC 9110 tchar).
func validCookieName(name string) bool {
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}
