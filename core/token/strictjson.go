package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A single-pass JSON scanner for the strict pre-parse. It accepts exactly
// the documents encoding/json accepts (RFC 8259: UTF-8, no trailing commas,
// no leading zeros, no control characters in strings), except that nesting
// is bounded by maxJSONDepth, and on top of that refuses what encoding/json
// lets through: a top level other than one object, and duplicate member
// names at any depth, compared after unescaping ("\u0065xp" is "exp") and
// case-insensitively as foldKey does. It returns the top-level members as
// substrings of the input, so the verification hot path neither builds maps
// nor decodes the document twice.

// maxJSONDepth bounds the nesting of objects and arrays in a header,
// claims set or key. encoding/json stops at 10000; nothing authkit reads
// nests more than a few levels, and the bound keeps the recursive scanner's
// stack small.
const maxJSONDepth = 64

// maxLinearNames is how many member names one object may hold before
// duplicate detection switches from pairwise comparison to a map, so a
// large object costs O(n), not O(n²).
const maxLinearNames = 32

var (
	errNotObject    = errors.New("not a JSON object")
	errJSONEnd      = errors.New("unexpected end of JSON input")
	errJSONDepth    = fmt.Errorf("nested more than %d deep", maxJSONDepth)
	errTrailingData = errors.New("data after the JSON object")
)

// member is one top-level member of a scanned object.
type member struct {
	name  string // unescaped
	value string // the raw JSON value, without surrounding whitespace
}

// members holds the top-level members of a scanned object, the first few
// in an array so that a caller can keep them on its stack.
type members struct {
	n    int
	buf  [16]member
	more []member
}

func (ms *members) len() int { return ms.n }

func (ms *members) at(i int) member {
	if i < len(ms.buf) {
		return ms.buf[i]
	}
	return ms.more[i-len(ms.buf)]
}

func (ms *members) add(m member) {
	if ms.n < len(ms.buf) {
		ms.buf[ms.n] = m
	} else {
		ms.more = append(ms.more, m)
	}
	ms.n++
}

// lookup returns the value of the member called name.
func (ms *members) lookup(name string) (string, bool) {
	for i := range ms.n {
		if m := ms.at(i); m.name == name {
			return m.value, true
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

// scanObject checks that src is exactly one strict JSON object (see above)
// and, when top is not nil, adds its top-level members to it.
func scanObject(src string, top *members) error {
	if !utf8.ValidString(src) {
		return errors.New("invalid UTF-8")
	}
	var names nameStack
	s := jsonScanner{src: src}
	s.skipSpace()
	if s.peek() != '{' {
		if s.pos == len(src) {
			return errJSONEnd
		}
		return errNotObject
	}
	if err := s.object(1, &names, top); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(src) {
		return errTrailingData
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
		return errJSONEnd
	}
	return fmt.Errorf("invalid character %q %s", s.src[s.pos], what)
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
			return errJSONEnd
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
				return false, errJSONEnd
			}
			switch s.src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(s.src) {
						s.pos = len(s.src)
						return false, errJSONEnd
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
	return false, errJSONEnd
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *jsonScanner) array(depth int, names *nameStack) error {
	if depth > maxJSONDepth {
		return errJSONDepth
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
func (s *jsonScanner) object(depth int, names *nameStack, top *members) error {
	if depth > maxJSONDepth {
		return errJSONDepth
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
				return errJSONEnd
			}
			return errors.New("member name is not a string")
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
					return err
				}
			}
			key = memberName{s: foldKey(name), folded: true}
		}
		if set != nil {
			c := key.canonical()
			if _, dup := set[c]; dup {
				return fmt.Errorf("duplicate member %q", name)
			}
			set[c] = struct{}{}
		} else {
			for i := first; i < names.n; i++ {
				if sameName(names.at(i), key) {
					return fmt.Errorf("duplicate member %q", name)
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
			top.add(member{name: name, value: s.src[valueStart:s.pos]})
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

// jsonString returns the value of raw, a scanned JSON value, when it is a
// string. Without escapes the value is a substring of raw.
func jsonString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	s, err := unquote(raw)
	return s, err == nil
}
