package main

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/audit"
)

// maxFormBytes caps a form's body: the longest the demo's forms send is
// a password and a token.
const maxFormBytes = 16 << 10

// formError is a form the demo refuses before any flow sees it.
type formError struct {
	status int
	detail string
}

func (e *formError) Error() string { return e.detail }

// readForm reads r's body as an HTML form (application/x-www-form-urlencoded)
// with exactly the named fields, each at most once (absent ones read as
// ""): a field the form does not have, a field given twice (which one
// would count?), bytes that are not UTF-8, a body over maxFormBytes or of
// another media type are refused — the form handlers take what the pages
// post and nothing else, as the JSON API's strict bodies do. The query
// string is never read.
func readForm(r *http.Request, fields ...string) (map[string]string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &formError{http.StatusUnsupportedMediaType, "This address takes HTML forms (application/x-www-form-urlencoded) only."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil {
		return nil, &formError{http.StatusBadRequest, "The form could not be read."}
	}
	if len(body) > maxFormBytes {
		return nil, &formError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The form must be at most %d bytes.", maxFormBytes)}
	}
	return parseForm(string(body), fields...)
}

// parseForm is readForm's parser, for a body read already.
func parseForm(body string, fields ...string) (map[string]string, error) {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, &formError{http.StatusBadRequest, "The form is malformed."}
	}
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		out[f] = ""
	}
	for k, vs := range vals {
		if _, ok := out[k]; !ok {
			return nil, &formError{http.StatusBadRequest, fmt.Sprintf("The form has a field %q it should not have.", audit.Clip(k, 40))}
		}
		if len(vs) != 1 {
			return nil, &formError{http.StatusBadRequest, fmt.Sprintf("The form gives the field %q more than once.", k)}
		}
		if !utf8.ValidString(vs[0]) {
			return nil, &formError{http.StatusBadRequest, fmt.Sprintf("The field %q is not valid text.", k)}
		}
		out[k] = vs[0]
	}
	return out, nil
}

// formRefused renders the refusal of readForm.
func (d *demo) formRefused(w http.ResponseWriter, r *http.Request, err error) {
	var fe *formError
	if !errors.As(err, &fe) {
		fe = &formError{http.StatusBadRequest, "The form could not be read."}
	}
	d.fail(w, r, fe.status, fe.detail)
}
