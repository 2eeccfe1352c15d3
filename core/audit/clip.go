package audit

import (
	"strings"
	"unicode/utf8"
)

// Clip returns s bounded for an event, a log line or stored metadata: at
// most n bytes, cut at a character boundary, invalid UTF-8 replaced by
// U+FFFD, and always a copy, so it is safe to keep a value that points into
// a reused buffer (fiber's request strings). Use it for whatever a client
// controls: a User-Agent, a name it typed, a member name it sent.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	// Bound first, so a huge input costs no more than n bytes of work.
	s = s[:cut(s, n)]
	// Repairing can lengthen the text (one stray byte becomes three), so
	// cut again; the text is valid now, so the cut is clean.
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Clone(s[:cut(s, n)])
}

// cut returns the length of the longest prefix of s of at most n bytes that
// does not end inside a character. Where no character starts within the
// utf8.UTFMax bytes up to n, the bytes are not UTF-8 anyway and s is cut
// at n.
func cut(s string, n int) int {
	if len(s) <= n {
		return len(s)
	}
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	return n
}
