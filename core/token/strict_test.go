package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The members-based header and claims parse replaced json.Unmarshal into a
// map. The reference implementations below are that earlier code, kept to
// check that both read the same header and claims from every document.
// (core/strictjson checks its scanner against the decoder-based check it
// replaced.) They read the document through parseObject, the map-based
// parse that custom claims still use.

func refParseHeader(data []byte) (header, error) {
	m, err := parseObject(data)
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
	}{{"kid", &h.kid}, {"typ", &h.typ}, {"cty", &h.cty}} {
		if raw, ok := m[f.name]; ok {
			if raw[0] != '"' || json.Unmarshal(raw, f.dst) != nil {
				return header{}, reject(ErrMalformed, f.name+" is not a string")
			}
		}
	}
	if err := h.check(); err != nil {
		return header{}, err
	}
	return h, nil
}

func refParseClaims(payload []byte) (*Claims, error) {
	m, err := parseObject(payload)
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
	if raw, ok := m[claimGen]; ok {
		// The reference reads gen with encoding/json, then insists on the
		// plain-digit form the Issuer writes.
		var n json.Number
		g, err := strconv.ParseUint(string(raw), 10, 64)
		if json.Unmarshal(raw, &n) != nil || err != nil || string(raw) != strconv.FormatUint(g, 10) || g > 1<<53-1 {
			return nil, reject(ErrMalformed, "gen is not a non-negative integer")
		}
		c.gen = g
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

// headerClaimsSeeds are documents aimed at the header and claims parse:
// escaped and case-variant names, odd types, nesting.
var headerClaimsSeeds = []string{
	`{}`,
	`{"alg":"ES256","kid":"k","typ":"at+jwt","cty":"x"}`,
	`{"\u0061lg":"ES256","k\u0069d":"a\u002fb"}`,
	`{"alg":"ES256","cty":"jwt"}`,
	`{"alg":1}`,
	`{"alg":"ES256","crit":["exp"]}`,
	`{"alg":"ES256","alg":"none"}`,
	`{"alg":"ES256","ALG":"none"}`,
	`{"aud":["a",null],"roles":[],"amr":["\u0070wd"],"scope":["a","b"],"x":{"<":1}}`,
	`{"sub":"u","exp":1e3,"iat":-0,"nbf":1.5e400}`,
	`{"sub":"u","exp":"4102444800"}`,
	`{"sub":"u","aud":"a","scope":"read write","roles":"admin"}`,
	`{"sub":"u","\u0065xp":4102444800,"x":[{"a":1},{"a":2}]}`,
	`{"sub":"u","exp":4102444800,"` + "\u017f" + `ub":"v"}`,
	`{"exp":1,"EXP":2}`,
	`[]`,
	``,
}

// jsonCorpus is every document the differential tests compare on: the
// seeds above, the decoded headers and payloads of the hostile set and
// the interop tokens.
func jsonCorpus(t *testing.T) [][]byte {
	var docs [][]byte
	for _, doc := range headerClaimsSeeds {
		docs = append(docs, []byte(doc))
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

// hostileGens are gen claims the parser must refuse, and two it takes.
var hostileGens = []string{`-1`, `1.0`, `1e3`, `01`, `"1"`, `null`, `true`, `[]`, `{}`, `9007199254740992`,
	`18446744073709551616`, `0x1`, `+1`, `1 `, `9007199254740991`, `0`}

func TestGenClaim(t *testing.T) {
	for _, g := range hostileGens {
		t.Run(g, func(t *testing.T) {
			c, err := parseClaims([]byte(`{"sub":"a","gen":` + g + `}`))
			switch g {
			case `9007199254740991`, `0`, `1 `:
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				want, _ := strconv.ParseUint(strings.TrimSpace(g), 10, 64)
				if c.gen != want {
					t.Fatalf("gen = %d, want %s", c.gen, g)
				}
			default:
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
			}
			compareStrict(t, []byte(`{"sub":"a","gen":`+g+`}`))
		})
	}
}

// TestHeaderCheck: the rules on header values both header parses share.
func TestHeaderCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    header
		want error // nil: accepted
	}{
		{"no kid", header{alg: "ES256"}, nil},
		{"plain kid", header{kid: "k-ES256"}, nil},
		{"kid with dots apart", header{kid: "2026.01.k"}, nil},
		{"non-ASCII kid", header{kid: "clé-1"}, nil},
		{"longest kid", header{kid: strings.Repeat("k", maxKIDLen)}, nil},
		{"kid too long", header{kid: strings.Repeat("k", maxKIDLen+1)}, ErrMalformed},
		{"kid with a slash", header{kid: "keys/k1"}, ErrMalformed},
		{"kid with a backslash", header{kid: `keys\k1`}, ErrMalformed},
		{"kid ..", header{kid: ".."}, ErrMalformed},
		{"kid with .. inside", header{kid: "k..1"}, ErrMalformed},
		{"kid with NUL", header{kid: "k\x001"}, ErrMalformed},
		{"kid with a newline", header{kid: "k\n1"}, ErrMalformed},
		{"kid with DEL", header{kid: "k\x7f1"}, ErrMalformed},
		{"cty of a payload", header{cty: "json"}, nil},
		{"nested JWT", header{cty: "JWT"}, ErrUnsupportedHeader},
		{"nested JWT, lower case", header{cty: "jwt"}, ErrUnsupportedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.h.check()
			if (tc.want == nil) != (err == nil) || (err != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("check(%+v) = %v, want %v", tc.h, err, tc.want)
			}
		})
	}
}

// TestHeaderClaimsDifferential checks the header and claims read from the
// scanned members against the map-based parse.
func TestHeaderClaimsDifferential(t *testing.T) {
	for i, doc := range jsonCorpus(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) { compareStrict(t, doc) })
	}
}

func FuzzHeaderClaims(f *testing.F) {
	for _, doc := range headerClaimsSeeds {
		f.Add([]byte(doc))
	}
	f.Add([]byte(benchClaims))
	for _, g := range hostileGens {
		f.Add([]byte(`{"sub":"a","gen":` + g + `}`))
	}
	f.Fuzz(compareStrict)
}

func compareStrict(t *testing.T, doc []byte) {
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
