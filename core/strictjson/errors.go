package strictjson

import (
	"errors"
	"strconv"
)

// Sentinels. Every error Check, Scan and Unmarshal return is an *Error
// whose Err is one of these, so callers branch with errors.Is.
var (
	// ErrSyntax: the input is not one well-formed JSON document (RFC 8259
	// as encoding/json reads it): a syntax error, invalid UTF-8, an
	// unexpected end, or data after the top-level object.
	ErrSyntax = errors.New("strictjson: invalid JSON")
	// ErrNotObject: the document is JSON but not an object.
	ErrNotObject = errors.New("strictjson: not a JSON object")
	// ErrDepth: objects and arrays nest deeper than MaxDepth.
	ErrDepth = errors.New("strictjson: nested too deeply")
	// ErrDuplicate: an object holds two members whose names are equal
	// after unescaping and case folding (see EqualFold).
	ErrDuplicate = errors.New("strictjson: duplicate member")
	// ErrUnknown: Unmarshal met a member whose name is not exactly the
	// JSON name of a field of the target struct (a case variant of a
	// field's name is unknown too).
	ErrUnknown = errors.New("strictjson: unknown member")
	// ErrType: a member's value does not fit the field it names.
	ErrType = errors.New("strictjson: member of the wrong type")
	// ErrTarget: Unmarshal was given something it cannot decode into (not
	// a non-nil pointer, or a struct it does not support). A programming
	// error, never caused by the input alone.
	ErrTarget = errors.New("strictjson: unsupported target")
)

// Error describes why a document was refused.
type Error struct {
	// Err is the sentinel: ErrSyntax, ErrNotObject, ErrDepth,
	// ErrDuplicate, ErrUnknown, ErrType or ErrTarget.
	Err error
	// Member names the member concerned for ErrDuplicate, ErrUnknown and
	// ErrType: its unescaped name, prefixed by the names of the enclosing
	// struct members ("outer.inner") where Unmarshal descended into them.
	// It comes from the input: quote or clip it before showing it.
	Member string

	detail string
}

// Error returns the sentinel's text, the member (quoted) and any detail.
func (e *Error) Error() string {
	s := e.Err.Error()
	switch e.Err {
	case ErrDuplicate, ErrUnknown, ErrType:
		s += " " + strconv.Quote(e.Member)
	}
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func syntaxError(detail string) error { return &Error{Err: ErrSyntax, detail: detail} }

func errEnd() error { return syntaxError("unexpected end of input") }

func errDepth() error {
	return &Error{Err: ErrDepth, detail: "more than " + strconv.Itoa(MaxDepth) + " levels"}
}
