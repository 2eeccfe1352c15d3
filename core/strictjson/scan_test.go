package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// The single-pass scanner replaced a json.Decoder token scan (in
// core/token). refCheckJSON is that earlier code, kept to check that the
// scanner accepts and refuses the same documents, apart from its nesting
// bound.

func refCheckJSON(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("invalid UTF-8")
	}
	type frame struct {
		obj       bool
		expectKey bool
		keys      map[string]struct{}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].expectKey = true
		}
	}
	first := true
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return ErrNotObject
			}
			first = false
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				valueDone()
			} else {
				key, ok := tok.(string)
				if !ok {
					return errors.New("member name is not a string")
				}
				f := foldKey(key)
				if _, dup := stack[n-1].keys[f]; dup {
					return fmt.Errorf("duplicate member %q", key)
				}
				stack[n-1].keys[f] = struct{}{}
				stack[n-1].expectKey = false
			}
		} else if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, frame{obj: true, expectKey: true, keys: map[string]struct{}{}})
			case '[':
				stack = append(stack, frame{})
			case ']', '}':
				stack = stack[:len(stack)-1]
				valueDone()
			}
		} else {
			valueDone()
		}
		if len(stack) == 0 {
			if _, err := dec.Token(); err != io.EOF {
				return errors.New("data after the JSON object")
			}
			return nil
		}
	}
}

// nestingDepth is the deepest nesting of objects and arrays in data.
func nestingDepth(data []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// strictJSONCases are documents the scanner must accept (ok) or refuse.
var strictJSONCases = []struct {
	name string
	doc  string
	ok   bool
}{
	{"empty object", `{}`, true},
	{"whitespace around", " \t\r\n{ \"a\" : 1 , \"b\" : [ ] }\n ", true},
	{"all value kinds", `{"s":"x","n":-0.5e+3,"t":true,"f":false,"z":null,"a":[1,"2",{"b":[]}],"o":{}}`, true},
	{"number 1e3", `{"exp":1e3}`, true},
	{"number -0", `{"exp":-0}`, true},
	{"number 1.5e400", `{"exp":1.5e400}`, true},
	{"number 1E-2", `{"exp":1E-2}`, true},
	{"escaped name", `{"\u0065xp":1}`, true},
	{"escapes in strings", `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, true},
	{"lone surrogate", `{"a":"\ud800"}`, true},
	{"same name in sibling objects", `{"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]}`, true},
	{"non-ASCII names", `{"é":1,"É":2}`, false},
	{"depth 64", `{"a":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, true},
	{"depth 65 arrays", `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, false},
	{"depth 65 objects", strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat("}", 65), false},
	{"depth 10001", `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, false},
	{"40 distinct names", `{` + manyNames(40, "") + `}`, true},
	{"40 names, last a case variant", `{` + manyNames(40, `,"K0":1`) + `}`, false},
	{"40 names, last an escaped duplicate", `{` + manyNames(40, `,"\u006b39":1`) + `}`, false},
	{"40 names, last a Kelvin variant", `{` + manyNames(40, `,"\u212a1":1`) + `}`, false},

	{"empty", ``, false},
	{"only whitespace", `   `, false},
	{"array", `[]`, false},
	{"string", `"x"`, false},
	{"number", `1`, false},
	{"null", `null`, false},
	{"unclosed", `{"a":1`, false},
	{"unclosed string", `{"a":"x}`, false},
	{"trailing comma", `{"a":1,}`, false},
	{"trailing comma in array", `{"a":[1,]}`, false},
	{"missing value", `{"a":}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"non-string name", `{1:1}`, false},
	{"single quotes", `{'a':1}`, false},
	{"leading zero", `{"a":01}`, false},
	{"plus sign", `{"a":+1}`, false},
	{"bare dot", `{"a":1.}`, false},
	{"leading dot", `{"a":.5}`, false},
	{"bare exponent", `{"a":1e}`, false},
	{"hex number", `{"a":0x1}`, false},
	{"NaN", `{"a":NaN}`, false},
	{"Infinity", `{"a":Infinity}`, false},
	{"True", `{"a":True}`, false},
	{"truncated literal", `{"a":tru}`, false},
	{"literal with tail", `{"a":truex}`, false},
	{"control character in string", "{\"a\":\"x\ty\"}", false},
	{"NUL in name", "{\"a\x00\":1}", false},
	{"bad escape", `{"a":"\x"}`, false},
	{"short unicode escape", `{"a":"\u12"}`, false},
	{"non-hex unicode escape", `{"a":"\u12g4"}`, false},
	{"invalid UTF-8", "{\"a\":\"\xff\"}", false},
	{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", false},
	{"UTF-8 BOM", "\xef\xbb\xbf{}", false},
	{"comment", `{"a":1 /* c */}`, false},
	{"trailing data", `{}{}`, false},
	{"trailing garbage", `{} x`, false},
	{"NUL after object", "{}\x00", false},
	{"vertical tab", "{\v}", false},
	{"duplicate", `{"a":1,"a":2}`, false},
	{"case-variant duplicate", `{"exp":1,"EXP":2}`, false},
	{"escaped duplicate exp", `{"exp":1,"\u0065xp":2}`, false},
	{"escaped case-variant", `{"exp":1,"\u0045XP":2}`, false},
	{"escaped solidus duplicate", `{"a/b":1,"a\/b":2}`, false},
	{"Kelvin sign and k", `{"kid":1,"` + "\u212a" + `id":2}`, false},
	{"long s and s", `{"sub":1,"` + "\u017f" + `ub":2}`, false},
	{"nested duplicate", `{"x":{"a":1,"A":2}}`, false},
	{"duplicate in object in array", `{"x":[{"a":1,"a":2}]}`, false},
	{"unpaired surrogates collide", `{"\ud800":1,"\udc00":2}`, false},
}

// manyNames returns n members "k0".."k{n-1}" followed by tail.
func manyNames(n int, tail string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String() + tail
}

func TestScanHostile(t *testing.T) {
	for _, tc := range strictJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.doc))
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok=%v", err, tc.ok)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("Check = %T %v, want an *Error", err, err)
			}
		})
	}
}

// TestScanErrorKinds: each refusal carries the sentinel that says why.
func TestScanErrorKinds(t *testing.T) {
	tests := []struct {
		doc    string
		want   error
		member string
	}{
		{``, ErrSyntax, ""},
		{`{"a":1`, ErrSyntax, ""},
		{"{\"a\":\"\xff\"}", ErrSyntax, ""},
		{`{} {}`, ErrSyntax, ""},
		{`{'a':1}`, ErrSyntax, ""},
		{`[1]`, ErrNotObject, ""},
		{`"x"`, ErrNotObject, ""},
		{`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, ErrDepth, ""},
		{`{"a":1,"a":2}`, ErrDuplicate, "a"},
		{`{"username":"x","USERNAME":"y"}`, ErrDuplicate, "USERNAME"},
		{`{"x":{"kid":1,"\u212aid":2}}`, ErrDuplicate, "\u212aid"},
	}
	for _, tt := range tests {
		err := Check([]byte(tt.doc))
		var e *Error
		if !errors.Is(err, tt.want) || !errors.As(err, &e) || e.Member != tt.member {
			t.Errorf("Check(%.40q) = %v (member %q), want %v (member %q)", tt.doc, err, memberOf(err), tt.want, tt.member)
		}
	}
}

func memberOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Member
	}
	return ""
}

// TestScanDifferential checks the scanner against the decoder-based check
// it replaced, and the members it returns against encoding/json's.
func TestScanDifferential(t *testing.T) {
	for _, tc := range strictJSONCases {
		t.Run(tc.name, func(t *testing.T) { compareScan(t, []byte(tc.doc)) })
	}
}

func FuzzScan(f *testing.F) {
	for _, tc := range strictJSONCases {
		f.Add([]byte(tc.doc))
	}
	f.Add([]byte(`{"alg":"ES256","kid":"k","typ":"at+jwt","cty":"x"}`))
	f.Add([]byte(`{"aud":["a",null],"roles":[],"amr":["\u0070wd"],"scope":["a","b"],"x":{"<":1}}`))
	f.Fuzz(compareScan)
}

func compareScan(t *testing.T, doc []byte) {
	err, refErr := Check(doc), refCheckJSON(doc)
	switch {
	case err == nil && refErr != nil:
		t.Fatalf("scanner accepts what the reference refuses (%v): %q", refErr, doc)
	case err != nil && refErr == nil && nestingDepth(doc) <= MaxDepth:
		t.Fatalf("scanner refuses (%v) what the reference accepts: %q", err, doc)
	case err != nil:
		return
	}
	var ms Members
	if err := Scan(string(doc), &ms); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if ms.Len() != len(m) {
		t.Fatalf("%d members, encoding/json finds %d: %q", ms.Len(), len(m), doc)
	}
	for i := range ms.Len() {
		mem := ms.At(i)
		if want, ok := m[mem.Name]; !ok || mem.Value != string(want) {
			t.Fatalf("member %q = %q, encoding/json has %q: %q", mem.Name, mem.Value, want, doc)
		}
		if v, ok := ms.Lookup(mem.Name); !ok || v != mem.Value {
			t.Fatalf("Lookup(%q) = %q, %v; want %q", mem.Name, v, ok, mem.Value)
		}
		if s, ok := String(mem.Value); ok {
			var want string
			if err := json.Unmarshal([]byte(mem.Value), &want); err != nil || s != want {
				t.Fatalf("String(%q) = %q, encoding/json has %q (%v)", mem.Value, s, want, err)
			}
		}
	}
}
