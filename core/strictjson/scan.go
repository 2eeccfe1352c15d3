package strictjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of objects and arrays. encoding/json stops at
// 10000; nothing authkit reads nests more than a few levels, and the bound
// keeps the recursive scanner's stack small.
const MaxDepth = 64

// maxLinearNames is how many member names one object may hold before
// duplicate detection switches from pairwise comparison to a map, so a
// large object costs O(n), not O(n²).
const maxLinearNames = 32

// Member is one top-level member of a scanned object.
type Member struct {
	// Name is the member name, unescaped ("\u0065xp" is "exp").
	Name string
	// Value is the raw JSON value, without surrounding whitespace: a
	// substring of the scanned document.
	Value string
}

// Members collects the top-level members of a scanned object, in document
// order. The zero value is ready to use; the first 16 members are held in
// an array, so a Members on the caller's stack costs no allocation.
type Members struct {
	n    int
	buf  [16]Member
	more []Member
}

// Len returns the number of members.
func (ms *Members) Len() int { return ms.n }

// At returns member i, 0 ≤ i < Len().
func (ms *Members) At(i int) Member {
	if i < len(ms.buf) {
		return ms.buf[i]
	}
	return ms.more[i-len(ms.buf)]
}

func (ms *Members) add(m Member) {
	if ms.n < len(ms.buf) {
		ms.buf[ms.n] = m
	} else {
		ms.more = append(ms.more, m)
	}
	ms.n++
}

// Lookup returns the raw value of the member named exactly name.
func (ms *Members) Lookup(name string) (value string, ok bool) {
	for i := range ms.n {
		if m := ms.At(i); m.Name == name {
			return m.Value, true
		}
	}
	return "", false
}

// memberName is a name kept for duplicate detection: either a raw name of
// plain ASCII (no escapes), compared ASCII-case-insensitively, or the
// foldKey form of any other name.
type memberName struct {
	s      string
	folded bool
}

// canonical returns the foldKey form of n.
func (n memberName) canonical() string {
	if n.folded {
		return n.s
	}
	return foldKey(n.s)
}

// sameName reports whether foldKey would map a and b to the same string.
func sameName(a, b memberName) bool {
	if a.folded == b.folded {
		if a.folded {
			return a.s == b.s
		}
		return asciiEqualFold(a.s, b.s)
	}
	if !b.folded {
		a, b = b, a
	}
	// a is raw ASCII, whose foldKey form is its lower case; b is folded.
	if len(a.s) != len(b.s) {
		return false
	}
	for i := 0; i < len(a.s); i++ {
		if lowerASCII(a.s[i]) != b.s[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// nameStack holds the member names of the objects being scanned,
// innermost last, the first few in an array.
type nameStack struct {
	n    int
	buf  [24]memberName
	more []memberName
}

func (ns *nameStack) at(i int) memberName {
	if i < len(ns.buf) {
		return ns.buf[i]
	}
	return ns.more[i-len(ns.buf)]
}

func (ns *nameStack) push(m memberName) {
	if ns.n < len(ns.buf) {
		ns.buf[ns.n] = m
	} else {
		ns.more = append(ns.more[:ns.n-len(ns.buf)], m)
	}
	ns.n++
}

// jsonScanner walks src. The name stack and the top-level members are
// passed to its methods as arguments rather than kept in it: escape
// analysis does not tell fields apart, and src's bytes flow into errors.
type jsonScanner struct {
	src string
	pos int
}

// Check reports whether data is exactly one strict JSON object: valid
// UTF-8, RFC 8259 syntax as encoding/json accepts it, nested at most
// MaxDepth deep, and no two members of one object whose names are equal
// after unescaping and case folding (see EqualFold). The error is an
// *Error.
func Check(data []byte) error {
	return Scan(string(data), nil)
}

// Scan checks src as Check does and, when top is not nil, adds the
// top-level members to it: names unescaped, values as substrings of src.
// The error is an *Error.
func Scan(src string, top *Members) error {
	if !utf8.ValidString(src) {
		return syntaxError("invalid UTF-8")
	}
	var names nameStack
	s := jsonScanner{src: src}
	s.skipSpace()
	if s.peek() != '{' {
		switch c := s.peek(); {
		case s.pos == len(src):
			return errEnd()
		case c == '[' || c == '"' || c == '-' || '0' <= c && c <= '9' || c == 't' || c == 'f' || c == 'n':
			return &Error{Err: ErrNotObject}
		}
		return s.syntaxError("looking for beginning of value")
	}
	if err := s.object(1, &names, top); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(src) {
		return syntaxError("data after the top-level object")
	}
	return nil
}

func (s *jsonScanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) syntaxError(what string) error {
	if s.pos >= len(s.src) {
		return errEnd()
	}
	return syntaxError(fmt.Sprintf("invalid character %q %s", s.src[s.pos], what))
}

func (s *jsonScanner) value(depth int, names *nameStack) error {
	s.skipSpace()
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth+1, names, nil)
	case c == '[':
		return s.array(depth+1, names)
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.syntaxError("looking for beginning of value")
}

func (s *jsonScanner) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if s.pos >= len(s.src) {
			return errEnd()
		}
		if s.src[s.pos] != lit[i] {
			return s.syntaxError("in literal")
		}
		s.pos++
	}
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() error {
	if s.peek() == '-' {
		s.pos++
	}
	switch c := s.peek(); {
	case c == '0':
		s.pos++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return s.syntaxError("in numeric literal")
	}
	if s.peek() == '.' {
		s.pos++
		if c := s.peek(); c < '0' || c > '9' {
			return s.syntaxError("after decimal point in numeric literal")
		}
		s.digits()
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if c := s.peek(); c < '0' || c > '9' {
			return s.syntaxError("in exponent of numeric literal")
		}
		s.digits()
	}
	return nil
}

func (s *jsonScanner) digits() {
	for s.pos < len(s.src) && '0' <= s.src[s.pos] && s.src[s.pos] <= '9' {
		s.pos++
	}
}

// str scans a string starting at its opening quote and leaves s.pos after
// the closing one. plain reports that it holds neither escapes nor
// non-ASCII bytes, so its raw content is its value and foldKey lowers it
// bytewise.
func (s *jsonScanner) str() (plain bool, err error) {
	plain = true
	for i := s.pos + 1; i < len(s.src); {
		switch c := s.src[i]; {
		case c == '"':
			s.pos = i + 1
			return plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(s.src) {
				s.pos = len(s.src)
				return false, errEnd()
			}
			switch s.src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(s.src) {
						s.pos = len(s.src)
						return false, errEnd()
					}
					if !isHex(s.src[j]) {
						s.pos = j
						return false, s.syntaxError("in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				s.pos = i + 1
				return false, s.syntaxError("in string escape code")
			}
		case c < 0x20:
			s.pos = i
			return false, s.syntaxError("in string literal")
		case c >= utf8.RuneSelf:
			plain = false
			i++
		default:
			i++
		}
	}
	s.pos = len(s.src)
	return false, errEnd()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *jsonScanner) array(depth int, names *nameStack) error {
	if depth > MaxDepth {
		return errDepth()
	}
	s.pos++ // '['
	s.skipSpace()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth, names); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.syntaxError("after array element")
		}
	}
}

// object scans an object at depth (the top level is 1), checking its
// member names against each other, and adds its members to top when top
// is not nil. names holds the names of the enclosing objects and is left
// as it came.
func (s *jsonScanner) object(depth int, names *nameStack, top *Members) error {
	if depth > MaxDepth {
		return errDepth()
	}
	s.pos++ // '{'
	first := names.n
	var set map[string]struct{} // canonical names, once the object is large
	s.skipSpace()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if s.peek() != '"' {
			if s.pos >= len(s.src) {
				return errEnd()
			}
			return syntaxError("member name is not a string")
		}
		start := s.pos
		plain, err := s.str()
		if err != nil {
			return err
		}
		quoted := s.src[start:s.pos]
		name := quoted[1 : len(quoted)-1]
		key := memberName{s: name}
		if !plain {
			if strings.IndexByte(name, '\\') >= 0 {
				if name, err = unquote(quoted); err != nil {
					return syntaxError(err.Error())
				}
			}
			key = memberName{s: foldKey(name), folded: true}
		}
		if set != nil {
			c := key.canonical()
			if _, dup := set[c]; dup {
				return &Error{Err: ErrDuplicate, Member: name}
			}
			set[c] = struct{}{}
		} else {
			for i := first; i < names.n; i++ {
				if sameName(names.at(i), key) {
					return &Error{Err: ErrDuplicate, Member: name}
				}
			}
			if names.n-first >= maxLinearNames {
				set = make(map[string]struct{}, 2*maxLinearNames)
				for i := first; i < names.n; i++ {
					set[names.at(i).canonical()] = struct{}{}
				}
				set[key.canonical()] = struct{}{}
			}
		}
		names.push(key)
		s.skipSpace()
		if s.peek() != ':' {
			return s.syntaxError("after object key")
		}
		s.pos++
		s.skipSpace()
		valueStart := s.pos
		if err := s.value(depth, names); err != nil {
			return err
		}
		if top != nil {
			top.add(Member{Name: name, Value: s.src[valueStart:s.pos]})
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			names.n = first
			return nil
		default:
			return s.syntaxError("after object key:value pair")
		}
	}
}

// unquote decodes a JSON string exactly as encoding/json does (an unpaired
// surrogate becomes U+FFFD). Only escaped strings come here.
func unquote(quoted string) (string, error) {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err != nil {
		return "", err
	}
	return s, nil
}

// String returns the value of raw, a JSON value as Scan returns it, when
// it is a string. Without escapes the value is a substring of raw.
func String(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	s, err := unquote(raw)
	return s, err == nil
}

// foldKey maps a member name to the form encoding/json's case-insensitive
// matching would treat as equal ("EXP", "Exp" and "exp" collide; so do the
// Kelvin sign and 'k').
func foldKey(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// EqualFold reports whether Scan would treat member names a and b as the
// same name: equal under the case folding encoding/json matches struct
// fields with ("EXP" and "exp", the Kelvin sign and "k").
func EqualFold(a, b string) bool { return foldKey(a) == foldKey(b) }
