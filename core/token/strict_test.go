package token

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The single-pass scanner replaced a json.Decoder token scan followed by
// json.Unmarshal into a map. The reference implementations below are that
// earlier code, kept to check that the scanner accepts and rejects the
// same documents (apart from its nesting bound) and reads the same claims.

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
				return errNotObject
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

func refParseObject(data []byte) (map[string]json.RawMessage, error) {
	if err := refCheckJSON(data); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func refParseHeader(data []byte) (header, error) {
	m, err := refParseObject(data)
	if err != nil {
		return header{}, reject(ErrMalformed, "header: "+err.Error())
	}
	for _, name := range refusedHeaders {
		if _, ok := m[name]; ok {
			return header{}, reject(ErrUnsupportedHeader, name)
		}
	}
	var h header
	raw, ok := m["alg"]
	if !ok {
		return header{}, reject(ErrAlgorithm, "no alg header")
	}
	if err := json.Unmarshal(raw, &h.alg); err != nil || raw[0] != '"' {
		return header{}, reject(ErrMalformed, "alg is not a string")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"kid", &h.kid}, {"typ", &h.typ}} {
		if raw, ok := m[f.name]; ok {
			if raw[0] != '"' || json.Unmarshal(raw, f.dst) != nil {
				return header{}, reject(ErrMalformed, f.name+" is not a string")
			}
		}
	}
	if raw, ok := m["cty"]; ok {
		var cty string
		if raw[0] != '"' || json.Unmarshal(raw, &cty) != nil {
			return header{}, reject(ErrMalformed, "cty is not a string")
		}
		if strings.EqualFold(cty, "JWT") {
			return header{}, reject(ErrUnsupportedHeader, "nested JWT")
		}
	}
	if len(h.kid) > maxKIDLen {
		return header{}, reject(ErrMalformed, "kid too long")
	}
	for _, r := range h.kid {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return header{}, reject(ErrMalformed, "kid holds a path or control character")
		}
	}
	if strings.Contains(h.kid, "..") {
		return header{}, reject(ErrMalformed, "kid holds a path")
	}
	return h, nil
}

func refParseClaims(payload []byte) (*Claims, error) {
	m, err := refParseObject(payload)
	if err != nil {
		return nil, reject(ErrMalformed, "claims: "+err.Error())
	}
	c := &Claims{Raw: payload}
	str := func(name string, dst *string) error {
		raw, ok := m[name]
		if !ok {
			return nil
		}
		if raw[0] != '"' || json.Unmarshal(raw, dst) != nil {
			return reject(ErrMalformed, name+" is not a string")
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"iss", &c.Issuer}, {"sub", &c.Subject}, {"jti", &c.ID}, {claimUse, &c.use}, {claimFamily, &c.family}, {claimPurpose, &c.purpose}} {
		if err := str(f.name, f.dst); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}, {"auth_time", &c.AuthTime}} {
		if raw, ok := m[f.name]; ok {
			t, ok := parseNumericDate(string(raw))
			if !ok {
				return nil, reject(ErrMalformed, f.name+" is not a NumericDate in range")
			}
			*f.dst = t
		}
	}
	list := func(name string) ([]string, error) {
		raw, ok := m[name]
		if !ok {
			return nil, nil
		}
		switch raw[0] {
		case '"':
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return []string{s}, nil
			}
		case '[':
			var list []string
			if json.Unmarshal(raw, &list) == nil {
				return list, nil
			}
		}
		return nil, reject(ErrMalformed, name+" is not a string or an array of strings")
	}
	if c.Audience, err = list("aud"); err != nil {
		return nil, err
	}
	if c.Roles, err = list("roles"); err != nil {
		return nil, err
	}
	if c.AMR, err = list("amr"); err != nil {
		return nil, err
	}
	if raw, ok := m["scope"]; ok {
		if raw[0] == '[' {
			l, err := list("scope")
			if err != nil {
				return nil, err
			}
			c.Scope = strings.Join(l, " ")
		} else if err := str("scope", &c.Scope); err != nil {
			return nil, err
		}
	}
	var extra map[string]json.RawMessage
	for k, v := range m {
		if !registered[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = v
		}
	}
	if extra != nil {
		c.Extra, _ = json.Marshal(extra)
	}
	return c, nil
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

func TestStrictJSON(t *testing.T) {
	for _, tc := range strictJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkJSON([]byte(tc.doc)); (err == nil) != tc.ok {
				t.Fatalf("checkJSON = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// jsonCorpus is every document the differential tests compare on: the
// cases above, the decoded headers and payloads of the hostile set and
// the fuzz seeds, and the interop tokens.
func jsonCorpus(t *testing.T) [][]byte {
	var docs [][]byte
	for _, tc := range strictJSONCases {
		docs = append(docs, []byte(tc.doc))
	}
	var tokens []string
	for _, c := range loadHostile(t) {
		tokens = append(tokens, c.Token)
	}
	for _, alg := range Algorithms() {
		for _, lib := range []string{"jwcrypto", "pyjwt"} {
			if b, err := readFileErr("testdata/interop/" + string(alg) + "." + lib + ".token"); err == nil {
				tokens = append(tokens, strings.TrimSpace(string(b)))
			}
		}
	}
	tokens = append(tokens, mustSign(t, []byte(benchClaims)), mustSign(t, []byte(goodClaims)))
	seen := map[string]bool{}
	for _, tok := range tokens {
		for _, seg := range strings.SplitN(tok, ".", 4) {
			if b, err := b64.DecodeString(seg); err == nil && len(b) > 0 && !seen[seg] {
				seen[seg] = true
				docs = append(docs, b)
			}
		}
	}
	return docs
}

func mustSign(t *testing.T, payload []byte) string {
	raw, err := Sign(testKey(t, ES256), TypeAccess, payload)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestStrictJSONDifferential checks the scanner against the decoder-based
// check it replaced, and the claims and header it reads against the
// map-based parse.
func TestStrictJSONDifferential(t *testing.T) {
	for i, doc := range jsonCorpus(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) { compareStrict(t, doc) })
	}
}

func FuzzStrictJSON(f *testing.F) {
	for _, tc := range strictJSONCases {
		f.Add([]byte(tc.doc))
	}
	f.Add([]byte(benchClaims))
	f.Add([]byte(`{"alg":"ES256","kid":"k","typ":"at+jwt","cty":"x"}`))
	f.Add([]byte(`{"aud":["a",null],"roles":[],"amr":["\u0070wd"],"scope":["a","b"],"x":{"<":1}}`))
	f.Fuzz(compareStrict)
}

func compareStrict(t *testing.T, doc []byte) {
	err, refErr := checkJSON(doc), refCheckJSON(doc)
	switch {
	case err == nil && refErr != nil:
		t.Fatalf("scanner accepts what the reference refuses (%v): %q", refErr, doc)
	case err != nil && refErr == nil && nestingDepth(doc) <= maxJSONDepth:
		t.Fatalf("scanner refuses (%v) what the reference accepts: %q", err, doc)
	case err != nil:
		return
	}
	var ms members
	if err := scanObject(string(doc), &ms); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if ms.len() != len(m) {
		t.Fatalf("%d members, encoding/json finds %d: %q", ms.len(), len(m), doc)
	}
	for i := range ms.len() {
		mem := ms.at(i)
		if want, ok := m[mem.name]; !ok || mem.value != string(want) {
			t.Fatalf("member %q = %q, encoding/json has %q: %q", mem.name, mem.value, want, doc)
		}
	}

	h, err := parseHeader(doc)
	refH, refErr := refParseHeader(doc)
	if !sameRejection(err, refErr) || h != refH {
		t.Fatalf("parseHeader = %+v, %v; reference %+v, %v: %q", h, err, refH, refErr, doc)
	}
	c, err := parseClaims(doc)
	refC, refErr := refParseClaims(doc)
	if !sameRejection(err, refErr) {
		t.Fatalf("parseClaims error %v, reference %v: %q", err, refErr, doc)
	}
	if err == nil && !reflect.DeepEqual(c, refC) {
		t.Fatalf("parseClaims = %+v\nreference %+v\n%q", c, refC, doc)
	}
}

// sameRejection reports whether a and b are both nil or wrap the same
// sentinel. When several members are wrong the two parses may name
// different ones, so only the kind is compared.
func sameRejection(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ra, rb *rejection
	return errors.As(a, &ra) && errors.As(b, &rb) && ra.kind == rb.kind
}

// TestHostileScanner extends the hostile set with tokens aimed at the
// single-pass scanner: names that only collide after unescaping or case
// folding, deep nesting, odd numbers and whitespace. Each is validly
// signed, so only the strict parse can refuse it.
func TestHostileScanner(t *testing.T) {
	es := testKey(t, ES256)
	esH := `{"alg":"ES256","typ":"JWT"}`
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	cases := []struct{ name, header, payload string }{
		{"escaped duplicate exp", esH, `{"sub":"u","exp":1000000000,"\u0065xp":4102444800}`},
		{"escaped case-variant EXP", esH, `{"sub":"u","exp":1000000000,"\u0045XP":4102444800}`},
		{"fully escaped exp", esH, `{"sub":"u","exp":1000000000,"\u0065\u0078\u0070":4102444800}`},
		{"long s variant of sub", esH, `{"sub":"u","` + "\u017f" + `ub":"admin","exp":4102444800}`},
		{"escaped duplicate alg", `{"alg":"ES256","\u0061lg":"none"}`, goodClaims},
		{"Kelvin variant of kid", `{"alg":"ES256","kid":"k-ES256","` + "\u212a" + `id":"../x"}`, goodClaims},
		{"escaped jku", `{"alg":"ES256","\u006aku":"https://evil.example/jwks.json"}`, goodClaims},
		{"escaped crit", `{"alg":"ES256","\u0063rit":["x"]}`, goodClaims},
		{"deeply nested claim", esH, `{"sub":"u","exp":4102444800,"x":` + deep(100) + `}`},
		{"very deeply nested claim", esH, `{"sub":"u","exp":4102444800,"x":` + deep(2000) + `}`},
		{"deeply nested header", `{"alg":"ES256","x":` + deep(100) + `}`, goodClaims},
		{"exp 1.5e400", esH, `{"sub":"u","exp":1.5e400}`},
		{"exp -0", esH, `{"sub":"u","exp":-0}`},
		{"exp 1e3", esH, `{"sub":"u","exp":1e3}`},
		{"exp with leading zero", esH, `{"sub":"u","exp":04102444800}`},
		{"exp with plus sign", esH, `{"sub":"u","exp":+4102444800}`},
		{"exp NaN", esH, `{"sub":"u","exp":NaN}`},
		{"vertical tab whitespace", esH, "{\"sub\":\"u\",\v\"exp\":4102444800}"},
		{"non-breaking space whitespace", esH, "{\"sub\":\"u\",\u00a0\"exp\":4102444800}"},
		{"BOM before claims", esH, "\ufeff" + goodClaims},
		{"non-UTF-8 name", esH, "{\"sub\":\"u\",\"\xfe\":1,\"exp\":4102444800}"},
		{"truncated UTF-8 in header", "{\"alg\":\"ES256\",\"x\":\"\xe2\x82\"}", goodClaims},
		{"NUL after claims", esH, goodClaims + "\x00"},
		{"unescaped control character", esH, "{\"sub\":\"u\x01\",\"exp\":4102444800}"},
		{"aud with a number", esH, `{"sub":"u","aud":["authkit",1],"exp":4102444800}`},
		{"aud null", esH, `{"sub":"u","aud":null,"exp":4102444800}`},
	}
	keys, err := ParseKey(readTestdata(t, "interop", "ES256.pub.pem"), ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := NewVerifyKeySet(keys...)
	v, _ := NewVerifier(set, WithoutMaxLifetime(), WithAudience("authkit"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), forge(t, es, tc.header, tc.payload))
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want an ErrInvalid rejection", c, err)
			}
		})
	}
}

// TestVerifyEscapedNames: member names and values with escapes mean what
// encoding/json says they mean.
func TestVerifyEscapedNames(t *testing.T) {
	es := testKey(t, ES256)
	keys, _ := ParseKey(readTestdata(t, "interop", "ES256.pub.pem"), ES256, "")
	set, _ := NewVerifyKeySet(keys...)
	v, _ := NewVerifier(set, WithoutMaxLifetime(), WithAudience("authkit"))
	raw := forge(t, es, `{"\u0061lg":"ES256"}`,
		`{"\u0073ub":"\u0075-1","aud":["x","auth\u006bit"],"exp":4102444800,"roles":[ "a" , "b" ],"x\u00e9":{"<":1}}`)
	c, err := v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u-1" || !c.HasAudience("authkit") || !reflect.DeepEqual(c.Roles, []string{"a", "b"}) ||
		string(c.Extra) != `{"xé":{"\u003c":1}}` {
		t.Fatalf("claims = %+v, Extra %s", c, c.Extra)
	}
}
