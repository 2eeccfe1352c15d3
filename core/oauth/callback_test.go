package oauth

import (
	"errors"
	"strings"
	"testing"
)

// hostileCallbacks are callback queries parseCallback must refuse as
// malformed.
var hostileCallbacks = []string{
	"state=a&state=b&code=c",
	"state=a&code=c&code=d",
	"state=a&code=c&iss=x&iss=y",
	"state=a&error=access_denied&error=x",
	"state=a&error_description=x&error_description=y",
	"state=a&error_uri=x&error_uri=y",
	"state=a;code=c",
	"state=%zz",
	"state=a&code=%",
	"state=a&code=%0a",
	"state=a&code=%00",
	"state=a&code=%7f",
	"state=a&code=%C3%A9",
	"state=a&code=" + strings.Repeat("c", 2049),
	"state=a&iss=" + strings.Repeat("i", 2049),
	"state=a&" + strings.Repeat("x", maxCallbackQuery),
	"state=a&error=",
	"state=a&error=%3Cscript%3E",
	"state=a&error=access%20denied",
	"state=a&error=" + strings.Repeat("e", 65),
	"state=a&error=a%0ab",
}

func TestParseCallbackRefusesHostile(t *testing.T) {
	for _, q := range hostileCallbacks {
		cb, err := parseCallback(q)
		var oe *Error
		if cb != nil || !errors.As(err, &oe) || oe.Code != CodeCallbackMalformed {
			t.Errorf("parseCallback(%.60q) = %+v, %v; want callback_malformed", q, cb, err)
		}
	}
}

func TestParseCallback(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want callback
	}{
		{"code=abc&state=s", callback{State: "s", Code: "abc"}},
		{"code=a+b%21&state=s&iss=https%3A%2F%2Fop.example", callback{State: "s", Code: "a b!", Iss: "https://op.example", HasIss: true}},
		{"state=s&iss=", callback{State: "s", HasIss: true}},
		{"state=s&error=access_denied&error_description=no%0Athanks", callback{State: "s", Error: "access_denied", Description: "nothanks"}},
		{"state=s&code=c&session_state=x&scope=openid", callback{State: "s", Code: "c"}},
		{"", callback{}},
	} {
		cb, err := parseCallback(tc.q)
		if err != nil || *cb != tc.want {
			t.Errorf("parseCallback(%q) = %+v, %v; want %+v", tc.q, cb, err, tc.want)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, q := range hostileCallbacks {
		f.Add(q)
	}
	f.Add("code=abc&state=s&iss=https%3A%2F%2Fop.example")
	f.Add("state=s&error=access_denied&error_description=x")
	f.Fuzz(func(t *testing.T, q string) {
		cb, err := parseCallback(q)
		if err != nil {
			var oe *Error
			if cb != nil || !errors.As(err, &oe) || oe.Code != CodeCallbackMalformed {
				t.Fatalf("parseCallback(%q) = %+v, %v", q, cb, err)
			}
			return
		}
		if len(q) > maxCallbackQuery {
			t.Fatalf("accepted a %d-byte query", len(q))
		}
		if cb.Code != "" && !vschars(cb.Code, 2048) {
			t.Fatalf("accepted code %q", cb.Code)
		}
		if cb.Error != "" && !errorCodeOK(cb.Error) {
			t.Fatalf("accepted error %q", cb.Error)
		}
		if len(cb.Iss) > 2048 || (cb.Iss != "" && !cb.HasIss) {
			t.Fatalf("iss %q (has %v)", cb.Iss, cb.HasIss)
		}
		if len(cb.Description) > 200 || cleanDescription(cb.Description) != cb.Description {
			t.Fatalf("description %q", cb.Description)
		}
	})
}
