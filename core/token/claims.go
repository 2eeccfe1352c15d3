package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
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
}

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
)

var registered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true,
	"jti": true, "roles": true, "scope": true, "amr": true,
	claimUse: true, claimFamily: true, claimPurpose: true,
}

// parseClaims reads a claims set strictly: one JSON object without
// duplicate or case-variant member names, NumericDates as numbers, strings
// as strings.
func parseClaims(payload []byte) (*Claims, error) {
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
	}{{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}} {
		if raw, ok := m[f.name]; ok {
			t, ok := parseNumericDate(raw)
			if !ok {
				return nil, reject(ErrMalformed, f.name+" is not a NumericDate in range")
			}
			*f.dst = t
		}
	}
	var err2 error
	if c.Audience, err2 = stringOrList(m, "aud"); err2 != nil {
		return nil, err2
	}
	if c.Roles, err2 = stringOrList(m, "roles"); err2 != nil {
		return nil, err2
	}
	if c.AMR, err2 = stringOrList(m, "amr"); err2 != nil {
		return nil, err2
	}
	if raw, ok := m["scope"]; ok {
		if raw[0] == '[' {
			list, err := stringOrList(m, "scope")
			if err != nil {
				return nil, err
			}
			c.Scope = strings.Join(list, " ")
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

// stringOrList reads a claim that is a string or an array of strings.
func stringOrList(m map[string]json.RawMessage, name string) ([]string, error) {
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
	if len(extra) > 0 {
		m, err := parseObject(extra)
		if err != nil {
			return nil, fmt.Errorf("%w: custom claims: %v", ErrInvalidClaims, err)
		}
		for k := range m {
			for r := range registered {
				if foldKey(k) == foldKey(r) {
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
	if err := checkJSON(raw); err != nil {
		return nil, fmt.Errorf("%w: custom claims must be a JSON object: %v", ErrInvalidClaims, err)
	}
	return raw, nil
}
