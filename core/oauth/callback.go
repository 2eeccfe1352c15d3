package oauth

import (
	"errors"
	"net/url"
)

// maxCallbackQuery bounds the raw callback query string.
const maxCallbackQuery = 8 << 10

// callback holds the authorization response parameters (RFC 6749 §4.1.2,
// RFC 9207) read from a callback's query string.
type callback struct {
	State       string
	Code        string
	Iss         string
	HasIss      bool
	Error       string
	Description string
}

// parseCallback reads a raw callback query strictly: it must parse, be at
// most 8 KiB, and carry each of state, code, iss, error,
// error_description and error_uri at most once. The values are checked
// for shape: code is 1–2048 printable ASCII characters, error a valid
// OAuth error code, iss at most 2048 bytes. Unknown parameters (session_state,
// scope, ...) are ignored.
func parseCallback(rawQuery string) (*callback, error) {
	if len(rawQuery) > maxCallbackQuery {
		return nil, fail(CodeCallbackMalformed, errors.New("query too long"))
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fail(CodeCallbackMalformed, errors.New("query does not parse"))
	}
	for _, k := range []string{"state", "code", "iss", "error", "error_description", "error_uri"} {
		if len(q[k]) > 1 {
			return nil, fail(CodeCallbackMalformed, errors.New("parameter "+k+" repeated"))
		}
	}
	cb := &callback{State: q.Get("state"), Code: q.Get("code"), Iss: q.Get("iss"), Error: q.Get("error")}
	_, cb.HasIss = q["iss"]
	if cb.Code != "" && !vschars(cb.Code, 2048) {
		return nil, fail(CodeCallbackMalformed, errors.New("code has characters RFC 6749 does not allow"))
	}
	if len(cb.Iss) > 2048 {
		return nil, fail(CodeCallbackMalformed, errors.New("iss too long"))
	}
	if _, ok := q["error"]; ok && !errorCodeOK(cb.Error) {
		return nil, fail(CodeCallbackMalformed, errors.New("error is not an OAuth error code"))
	}
	cb.Description = cleanDescription(q.Get("error_description"))
	return cb, nil
}

// vschars reports whether s is 1 to max of RFC 6749's VSCHAR (%x20-7E).
func vschars(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
