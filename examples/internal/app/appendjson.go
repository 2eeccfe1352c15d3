package app

import (
	"encoding/json"
	"strconv"
)

// jsonAppender is an answer body that writes its own JSON: the bytes
// json.Marshal writes for it (TestAppendJSONIsMarshal), without the
// reflection, for the answers every request of a load test gets (GET /me).
type jsonAppender interface{ appendJSON(b []byte) []byte }

func (m *meAnswer) appendJSON(b []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"amr":`...)
	b = appendJSONStrings(b, m.AMR)
	if m.Email != "" {
		b = append(b, `,"email":`...)
		b = appendJSONString(b, m.Email)
	}
	if m.EmailVerified != nil {
		b = append(b, `,"email_verified":`...)
		b = strconv.AppendBool(b, *m.EmailVerified)
	}
	b = append(b, `,"mfa_enabled":`...)
	b = strconv.AppendBool(b, m.MFAEnabled)
	b = append(b, `,"roles":`...)
	b = appendJSONStrings(b, m.Roles)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, m.Sub)
	b = append(b, `,"via":`...)
	b = appendJSONString(b, m.Via)
	return append(b, '}')
}

// appendJSONStrings appends vs as json.Marshal writes a []string.
func appendJSONStrings(b []byte, vs []string) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONString appends s as json.Marshal writes it: as it is, quoted,
// when it is printable ASCII that needs no escape; anything else (quotes,
// backslashes, HTML's <, > and &, control characters, non-ASCII) is left
// to json.Marshal itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
