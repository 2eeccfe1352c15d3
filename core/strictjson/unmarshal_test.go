package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// body is a request body as the example servers read one.
type body struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Remember bool     `json:"remember,omitempty"`
	Codes    []string `json:"codes"`
	Inner    *inner   `json:"inner"`
	Meta     map[string]any
	internal string // never filled: unexported
}

type inner struct {
	OTP  string    `json:"otp"`
	When time.Time `json:"when"`
}

// unmarshalCases are hostile and ordinary bodies for Unmarshal into body:
// want is nil for an accepted document, else the sentinel of the refusal,
// and member the member it names.
var unmarshalCases = []struct {
	name   string
	doc    string
	want   error
	member string
}{
	{"plain", `{"username":"alice","password":"pw"}`, nil, ""},
	{"every field", `{"username":"a","password":"b","remember":true,"codes":["x"],"inner":{"otp":"1","when":"2025-01-02T03:04:05Z"},"Meta":{"k":[1]}}`, nil, ""},
	{"escaped name is the same name", `{"user\u006eame":"alice"}`, nil, ""},
	{"null leaves a field alone", `{"username":null,"inner":null,"codes":null}`, nil, ""},
	{"empty object", `{}`, nil, ""},
	{"whitespace", " \n{ \"username\" : \"a\" }\t", nil, ""},

	{"duplicate", `{"username":"first","username":"last"}`, ErrDuplicate, "username"},
	{"case-variant duplicate", `{"username":"nosuchuser","USERNAME":"alice"}`, ErrDuplicate, "USERNAME"},
	{"escaped duplicate", `{"username":"a","\u0075sername":"b"}`, ErrDuplicate, "username"},
	{"escaped case-variant duplicate", `{"username":"a","\u0055SERNAME":"b"}`, ErrDuplicate, "USERNAME"},
	{"long s duplicate", `{"password":"a","pa` + "\u017f" + `sword":"b"}`, ErrDuplicate, "pa\u017fsword"},
	{"duplicate in a nested struct", `{"inner":{"otp":"1","OTP":"2"}}`, ErrDuplicate, "OTP"},
	{"duplicate in a map", `{"Meta":{"k":1,"K":2}}`, ErrDuplicate, "K"},
	{"duplicate in an array", `{"codes":[],"Meta":{"a":[{"x":1,"x":2}]}}`, ErrDuplicate, "x"},

	{"case variant alone", `{"USERNAME":"alice"}`, ErrUnknown, "USERNAME"},
	{"title case alone", `{"Username":"alice"}`, ErrUnknown, "Username"},
	{"escaped case variant alone", `{"\u0055sername":"alice"}`, ErrUnknown, "Username"},
	{"Kelvin sign", `{"remember":true,"` + "\u212a" + `":1}`, ErrUnknown, "\u212a"},
	{"unknown member", `{"username":"a","admin":true}`, ErrUnknown, "admin"},
	{"unexported field", `{"internal":"x"}`, ErrUnknown, "internal"},
	{"Go name of a tagged field", `{"Username":"x","username":"y"}`, ErrDuplicate, "username"},
	{"lower-case untagged field", `{"meta":{}}`, ErrUnknown, "meta"},
	{"unknown nested member", `{"inner":{"otp":"1","code":"2"}}`, ErrUnknown, "inner.code"},
	{"case variant nested", `{"inner":{"OTP":"1"}}`, ErrUnknown, "inner.OTP"},

	{"number for a string", `{"username":42}`, ErrType, "username"},
	{"string for a bool", `{"remember":"yes"}`, ErrType, "remember"},
	{"object for a string", `{"password":{}}`, ErrType, "password"},
	{"array of numbers for strings", `{"codes":[1]}`, ErrType, "codes"},
	{"string for a struct", `{"inner":"x"}`, ErrType, "inner"},
	{"bad time", `{"inner":{"when":"yesterday"}}`, ErrType, "inner.when"},

	{"array", `["alice"]`, ErrNotObject, ""},
	{"string", `"alice"`, ErrNotObject, ""},
	{"null", `null`, ErrNotObject, ""},
	{"empty", ``, ErrSyntax, ""},
	{"truncated", `{"username":"alice",`, ErrSyntax, ""},
	{"trailing object", `{"username":"a"} {}`, ErrSyntax, ""},
	{"trailing comma", `{"username":"a",}`, ErrSyntax, ""},
	{"BOM", "\ufeff{}", ErrSyntax, ""},
	{"invalid UTF-8", "{\"username\":\"\xff\"}", ErrSyntax, ""},
	{"NUL after", "{}\x00", ErrSyntax, ""},
	{"comment", `{"username":"a"/*x*/}`, ErrSyntax, ""},
	{"single quotes", `{'username':'a'}`, ErrSyntax, ""},
	{"deep", `{"Meta":{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`, ErrDepth, ""},
}

func TestUnmarshalHostile(t *testing.T) {
	for _, tc := range unmarshalCases {
		t.Run(tc.name, func(t *testing.T) {
			var v body
			err := Unmarshal([]byte(tc.doc), &v)
			if v.internal != "" {
				t.Fatalf("an unexported field was filled: %q", v.internal)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Unmarshal = %v, want success", err)
				}
				var ref body
				if err := json.Unmarshal([]byte(tc.doc), &ref); err != nil || !reflect.DeepEqual(v, ref) {
					t.Fatalf("Unmarshal gave %+v, encoding/json %+v (%v)", v, ref, err)
				}
				return
			}
			var e *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Member != tc.member {
				t.Fatalf("Unmarshal = %v (member %q), want %v (member %q)", err, memberOf(err), tc.want, tc.member)
			}
		})
	}
}

func TestUnmarshalTargets(t *testing.T) {
	type embedded struct{ A string }
	type withEmbedded struct {
		embedded
		B string
	}
	type withString struct {
		N int `json:"n,string"`
	}
	type twoNames struct {
		A string `json:"X"`
		X string
	}
	doc := []byte(`{"x":"1"}`)
	for _, tt := range []struct {
		name string
		v    any
		want error
	}{
		{"nil", nil, ErrTarget},
		{"not a pointer", body{}, ErrTarget},
		{"nil pointer", (*body)(nil), ErrTarget},
		{"embedded field", &withEmbedded{}, ErrTarget},
		{"string option", &withString{}, ErrTarget},
		{"two fields, one name", &twoNames{}, ErrTarget},
		{"map", &map[string]string{}, nil},
		{"any", new(any), nil},
		{"raw message", new(json.RawMessage), nil},
		{"pointer to pointer", new(*struct {
			X string `json:"x"`
		}), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := Unmarshal(doc, tt.v); !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal = %v, want %v", err, tt.want)
			}
		})
	}
	var m map[string]string
	if err := Unmarshal([]byte(`{"a":"1","A":"2"}`), &m); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("map with case-variant keys: %v, want ErrDuplicate", err)
	}
	pp := new(*struct {
		X string `json:"x"`
	})
	if err := Unmarshal([]byte(`{"X":"1"}`), pp); !errors.Is(err, ErrUnknown) {
		t.Fatalf("pointer to pointer to struct, case variant: %v, want ErrUnknown", err)
	}
}

func TestUnmarshalErrorText(t *testing.T) {
	var v body
	err := Unmarshal([]byte(`{"inner":{"otp":7}}`), &v)
	if got, want := err.Error(), `strictjson: member of the wrong type "inner.otp": number, want string`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

// FuzzUnmarshal: no input panics; an accepted document is one strict
// object whose every member is exactly a field's name, and it decodes as
// encoding/json decodes it; a refused one is refused for a stated reason.
func FuzzUnmarshal(f *testing.F) {
	for _, tc := range unmarshalCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var v body
		err := Unmarshal(doc, &v)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || errors.Is(err, ErrTarget) {
				t.Fatalf("Unmarshal = %T %v", err, err)
			}
			return
		}
		if err := Check(doc); err != nil {
			t.Fatalf("accepted a document Check refuses (%v): %q", err, doc)
		}
		var ms Members
		_ = Scan(string(doc), &ms)
		fields, _ := fieldsOf(reflect.TypeFor[body]())
		for i := range ms.Len() {
			if _, ok := fields[ms.At(i).Name]; !ok {
				t.Fatalf("accepted member %q, which names no field: %q", ms.At(i).Name, doc)
			}
		}
		var ref body
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ref); err != nil {
			t.Fatalf("encoding/json refuses (%v) what Unmarshal accepts: %q", err, doc)
		}
		if !reflect.DeepEqual(v, ref) {
			t.Fatalf("Unmarshal = %+v, encoding/json %+v: %q", v, ref, doc)
		}
	})
}
