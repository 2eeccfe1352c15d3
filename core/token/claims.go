package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/strictjson"
)

// Claims is the verified content of a token. Registered and authkit claims
// have typed fields; every other member is kept in Extra.
type Claims struct {
	// Issuer is "iss".
	Issuer string
	// Subject is "sub", the user id.
	Subject string
	// Audience is "aud", a string or an array on the wire.
	Audience []string
	// ExpiresAt is "exp". Always set on a verified token.
	ExpiresAt time.Time
	// NotBefore is "nbf", zero when absent.
	NotBefore time.Time
	// IssuedAt is "iat" (millisecond precision on authkit tokens), zero
	// when absent.
	IssuedAt time.Time
	// AuthTime is "auth_time" (as in OpenID Connect): when the user
	// authenticated. Every token of one refresh family carries the same
	// value, and the Issuer ends the family a maximum lifetime after it.
	// Zero when absent.
	AuthTime time.Time
	// ID is "jti".
	ID string
	// Roles is "roles".
	Roles []string
	// Scope is "scope": space-separated scope values (RFC 8693 §4.2,
	// RFC 9068 §2.2.3).
	Scope string
	// AMR is "amr" (RFC 8176): how the user authenticated, e.g. "pwd", "otp".
	AMR []string
	// Extra holds every other claim as one JSON object, or nil when there
	// are none. Decode it with DecodeExtra.
	Extra json.RawMessage
	// Raw is the whole verified claims set exactly as it was signed.
	Raw json.RawMessage

	use     string // "token_use": access, refresh or purpose
	family  string // "fam": refresh-token family
	purpose string // "purpose": for purpose tokens
	binding string // "bnd": a purpose token's binding (a hash; see BoundTo)
	gen     uint64 // "gen": the subject's log-out-everywhere generation at minting
}

// Family returns the "fam" claim: the refresh family (sign-in) the token
// belongs to, or "" for none.
func (c *Claims) Family() string { return c.family }

// Generation returns the "gen" claim: the subject's log-out-everywhere
// generation when the token's family started (0 when absent).
func (c *Claims) Generation() uint64 { return c.gen }

// HasScope reports whether the space-separated Scope contains s exactly.
func (c *Claims) HasScope(s string) bool {
	if s == "" {
		return false
	}
	for v := range strings.FieldsSeq(c.Scope) {
		if v == s {
			return true
		}
	}
	return false
}

// HasRole reports whether Roles contains r exactly.
func (c *Claims) HasRole(r string) bool { return r != "" && slices.Contains(c.Roles, r) }

// HasAudience reports whether Audience contains aud exactly.
func (c *Claims) HasAudience(aud string) bool { return slices.Contains(c.Audience, aud) }

// DecodeExtra unmarshals the custom claims into v (a pointer to a struct
// or map). It is a no-op when there are none.
func (c *Claims) DecodeExtra(v any) error {
	if len(c.Extra) == 0 {
		return nil
	}
	return json.Unmarshal(c.Extra, v)
}

// Names of the claims authkit reads; any other member lands in Extra.
const (
	claimUse     = "token_use"
	claimFamily  = "fam"
	claimPurpose = "purpose"
	claimBinding = "bnd"
	claimGen     = "gen"
)

var registered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "auth_time": true,
	"jti": true, "roles": true, "scope": true, "amr": true,
	claimUse: true, claimFamily: true, claimPurpose: true, claimBinding: true, claimGen: true,
}

// parseClaims reads a claims set strictly: one JSON object without
// duplicate or case-variant member names, NumericDates as numbers, strings
// as strings. c.Raw is payload; the string fields share one copy of it.
func parseClaims(payload []byte) (*Claims, error) {
	src := string(payload)
	var ms strictjson.Members
	if err := strictjson.Scan(src, &ms); err != nil {
		return nil, reject(ErrMalformed, "claims: "+err.Error())
	}
	c := &Claims{Raw: payload}
	// Where each registered claim goes, by its JSON type. (gen and a
	// scope sent as an array are read on their own below.)
	strs := [...]claimField[string]{
		{"iss", &c.Issuer}, {"sub", &c.Subject}, {"jti", &c.ID}, {"scope", &c.Scope},
		{claimUse, &c.use}, {claimFamily, &c.family}, {claimPurpose, &c.purpose}, {claimBinding, &c.binding},
	}
	dates := [...]claimField[time.Time]{{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}, {"auth_time", &c.AuthTime}}
	lists := [...]claimField[[]string]{{"aud", &c.Audience}, {"roles", &c.Roles}, {"amr", &c.AMR}}
	hasExtra := false
	for i := range ms.Len() {
		m := ms.At(i)
		if m.Name == claimGen {
			g, ok := parseGen(m.Value)
			if !ok {
				return nil, reject(ErrMalformed, "gen is not a non-negative integer")
			}
			c.gen = g
		} else if m.Name == "scope" && m.Value[0] == '[' {
			scopes, err := stringOrList(m.Name, m.Value)
			if err != nil {
				return nil, err
			}
			c.Scope = strings.Join(scopes, " ")
		} else if dst := fieldFor(strs[:], m.Name); dst != nil {
			var ok bool
			if *dst, ok = strictjson.String(m.Value); !ok {
				return nil, reject(ErrMalformed, m.Name+" is not a string")
			}
		} else if date := fieldFor(dates[:], m.Name); date != nil {
			t, ok := parseNumericDate(m.Value)
			if !ok {
				return nil, reject(ErrMalformed, m.Name+" is not a NumericDate in range")
			}
			*date = t
		} else if list := fieldFor(lists[:], m.Name); list != nil {
			l, err := stringOrList(m.Name, m.Value)
			if err != nil {
				return nil, err
			}
			*list = l
		} else {
			hasExtra = true
		}
	}
	if hasExtra {
		// Built as before the single-pass scanner, so Extra stays
		// byte-for-byte the same: sorted, compacted, HTML-escaped.
		extra := map[string]json.RawMessage{}
		for i := range ms.Len() {
			if m := ms.At(i); !registered[m.Name] {
				extra[m.Name] = json.RawMessage(m.Value)
			}
		}
		c.Extra, _ = json.Marshal(extra)
	}
	return c, nil
}

// claimField names the field of a Claims that a registered claim of type T
// is read into.
type claimField[T any] struct {
	name string
	dst  *T
}

// fieldFor returns the field fields names for the claim name, or nil.
func fieldFor[T any](fields []claimField[T], name string) *T {
	for _, f := range fields {
		if f.name == name {
			return f.dst
		}
	}
	return nil
}

// maxGen is the largest generation a token carries: Lua numbers, which the
// Redis store compares it with, are exact up to 2^53.
const maxGen = 1<<53 - 1

// parseGen reads the gen claim: a JSON integer of plain digits, no sign,
// fraction, exponent or leading zero, at most maxGen.
func parseGen(raw string) (uint64, bool) {
	if raw == "" || len(raw) > 16 || (raw[0] == '0' && len(raw) > 1) {
		return 0, false
	}
	for i := range len(raw) {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, false
		}
	}
	g, err := strconv.ParseUint(raw, 10, 64)
	return g, err == nil && g <= maxGen
}

// stringOrList reads a claim that is a string or an array of strings. An
// array with escapes or non-strings (null elements decode to "") goes
// through encoding/json; plain ones are cut from raw directly.
func stringOrList(name, raw string) ([]string, error) {
	switch raw[0] {
	case '"':
		if s, ok := strictjson.String(raw); ok {
			return []string{s}, nil
		}
	case '[':
		if list, ok := plainStringList(raw); ok {
			return list, nil
		}
		var list []string
		if json.Unmarshal([]byte(raw), &list) == nil {
			return list, nil
		}
	}
	return nil, reject(ErrMalformed, name+" is not a string or an array of strings")
}

// plainStringList splits raw, a scanned JSON array, when every element is
// a string without escapes. It returns a non-nil slice for [], as
// encoding/json does.
func plainStringList(raw string) ([]string, bool) {
	n, ok := plainStrings(raw, nil)
	if !ok {
		return nil, false
	}
	list := make([]string, 0, n)
	plainStrings(raw, &list)
	return list, true
}

// plainStrings counts the elements of the array raw, appending them to
// *dst when dst is not nil, and reports false as soon as an element is not
// a string free of escapes.
func plainStrings(raw string, dst *[]string) (int, bool) {
	n := 0
	for i := 1; i < len(raw); { // raw[0] is '['
		switch raw[i] {
		case ']':
			return n, true
		case ',', ' ', '\t', '\n', '\r':
			i++
		case '"':
			end := strings.IndexAny(raw[i+1:], `"\\`)
			if end < 0 || raw[i+1+end] != '"' {
				return 0, false
			}
			if dst != nil {
				*dst = append(*dst, raw[i+1:i+1+end])
			}
			n++
			i += end + 2
		default:
			return 0, false
		}
	}
	return 0, false
}

// marshalClaims writes c as authkit issues it: iat with millisecond
// precision, exp and nbf in whole seconds, aud as a string when single,
// then the members of extra (a JSON object; names must not collide with
// registered claims, compared case-insensitively).
func marshalClaims(c *Claims, extra json.RawMessage) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	strField := func(name, v string) {
		if v == "" {
			return
		}
		field(name)
		enc, _ := json.Marshal(v)
		b = append(b, enc...)
	}
	strField("iss", c.Issuer)
	strField("sub", c.Subject)
	switch len(c.Audience) {
	case 0:
	case 1:
		strField("aud", c.Audience[0])
	default:
		field("aud")
		enc, _ := json.Marshal(c.Audience)
		b = append(b, enc...)
	}
	field("exp")
	b = appendNumericDate(b, c.ExpiresAt.Truncate(time.Second))
	if !c.NotBefore.IsZero() {
		field("nbf")
		b = appendNumericDate(b, c.NotBefore.Truncate(time.Second))
	}
	field("iat")
	b = appendNumericDate(b, c.IssuedAt)
	if !c.AuthTime.IsZero() {
		field("auth_time")
		b = appendNumericDate(b, c.AuthTime.Truncate(time.Second))
	}
	strField("jti", c.ID)
	if len(c.Roles) > 0 {
		field("roles")
		enc, _ := json.Marshal(c.Roles)
		b = append(b, enc...)
	}
	strField("scope", c.Scope)
	if len(c.AMR) > 0 {
		field("amr")
		enc, _ := json.Marshal(c.AMR)
		b = append(b, enc...)
	}
	strField(claimUse, c.use)
	strField(claimFamily, c.family)
	strField(claimPurpose, c.purpose)
	strField(claimBinding, c.binding)
	if c.gen > 0 {
		field(claimGen)
		b = strconv.AppendUint(b, c.gen, 10)
	}
	if len(extra) > 0 {
		m, err := parseObject(extra)
		if err != nil {
			return nil, fmt.Errorf("%w: custom claims: %v", ErrInvalidClaims, err)
		}
		for k := range m {
			for r := range registered {
				if strictjson.EqualFold(k, r) {
					return nil, fmt.Errorf("%w: custom claim %q collides with a registered claim", ErrInvalidClaims, k)
				}
			}
		}
		inner := bytes.TrimSpace(extra)
		inner = bytes.TrimSpace(inner[1 : len(inner)-1])
		if len(inner) > 0 {
			b = append(b, ',')
			b = append(b, inner...)
		}
	}
	b = append(b, '}')
	return b, nil
}

// encodeExtra turns a custom-claims value (a struct, a map, or
// json.RawMessage) into a JSON object.
func encodeExtra(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("%w: custom claims: %v", ErrInvalidClaims, err)
		}
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	if err := strictjson.Check(raw); err != nil {
		return nil, fmt.Errorf("%w: custom claims must be a JSON object: %v", ErrInvalidClaims, err)
	}
	return raw, nil
}
