package strictjson

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Unmarshal decodes data, which must pass Check, into the value v points
// to. Where the target is a struct (or a pointer to one), each member name
// must be exactly the JSON name of one of its fields — the name in the
// field's json tag, else the Go field name — or Unmarshal fails with
// ErrUnknown: there is no case-insensitive matching, so {"USERNAME":"x"}
// does not fill a field tagged "username", and unknown members are refused
// rather than ignored. This applies to the top-level object and, through
// struct-typed fields, to nested objects. Values of any other type (strings,
// numbers, slices, maps, types with their own UnmarshalJSON or
// UnmarshalText) are decoded by encoding/json, after Check has refused
// duplicate names at every depth.
//
// A value that does not fit its field gives ErrType; null leaves a field
// as it was, as with encoding/json. Structs with embedded fields or fields
// tagged ",string" are not supported (ErrTarget).
//
// On error v may be partly filled.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Err: ErrTarget, detail: fmt.Sprintf("%T is not a non-nil pointer", v)}
	}
	src := string(data)
	var top Members
	if err := Scan(src, &top); err != nil {
		return err
	}
	if t := rv.Type().Elem(); t.Kind() == reflect.Struct && !decodesItself(t) {
		return decodeMembers(&top, rv.Elem(), "")
	}
	return decodeValue(strings.TrimSpace(src), rv.Elem(), "")
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether encoding/json would hand values of type t
// to t's own UnmarshalJSON or UnmarshalText.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}

// decodeValue decodes raw, a value Scan has checked, into v, which is
// addressable.
func decodeValue(raw string, v reflect.Value, path string) error {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && !decodesItself(t):
		if raw == "null" {
			return nil
		}
		if raw[0] != '{' {
			return typeError(path, jsonKind(raw), t)
		}
		var ms Members
		if err := Scan(raw, &ms); err != nil {
			return err
		}
		return decodeMembers(&ms, v, path)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && !decodesItself(t) && !decodesItself(t.Elem()):
		if raw == "null" {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeValue(raw, v.Elem(), path)
	}
	if err := json.Unmarshal([]byte(raw), v.Addr().Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return typeError(path, te.Value, te.Type)
		}
		return &Error{Err: ErrType, Member: path, detail: err.Error()}
	}
	return nil
}

// decodeMembers decodes the members of an object into the struct v.
func decodeMembers(ms *Members, v reflect.Value, path string) error {
	fields, err := fieldsOf(v.Type())
	if err != nil {
		return err
	}
	for i := range ms.Len() {
		m := ms.At(i)
		name := m.Name
		if path != "" {
			name = path + "." + m.Name
		}
		idx, ok := fields[m.Name]
		if !ok {
			return &Error{Err: ErrUnknown, Member: name}
		}
		if err := decodeValue(m.Value, v.Field(idx), name); err != nil {
			return err
		}
	}
	return nil
}

func typeError(path, got string, want reflect.Type) error {
	return &Error{Err: ErrType, Member: path, detail: fmt.Sprintf("%s, want %s", got, want)}
}

// jsonKind names the kind of a scanned JSON value as encoding/json's
// UnmarshalTypeError does.
func jsonKind(raw string) string {
	switch raw[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

type structFields struct {
	byName map[string]int // exact JSON name → field index
	err    error
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the exact JSON names of t's fields.
func fieldsOf(t reflect.Type) (map[string]int, error) {
	if sf, ok := fieldCache.Load(t); ok {
		return sf.(*structFields).byName, sf.(*structFields).err
	}
	sf := &structFields{byName: make(map[string]int, t.NumField())}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if f.Anonymous {
			sf.err = &Error{Err: ErrTarget, detail: fmt.Sprintf("%s: embedded field %s", t, f.Name)}
			break
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		for opt := range strings.SplitSeq(opts, ",") {
			if opt == "string" {
				sf.err = &Error{Err: ErrTarget, detail: fmt.Sprintf("%s: field %s is tagged \",string\"", t, f.Name)}
			}
		}
		if _, dup := sf.byName[name]; dup {
			sf.err = &Error{Err: ErrTarget, detail: fmt.Sprintf("%s: two fields are named %q", t, name)}
		}
		if sf.err != nil {
			break
		}
		sf.byName[name] = i
	}
	actual, _ := fieldCache.LoadOrStore(t, sf)
	return actual.(*structFields).byName, actual.(*structFields).err
}
