package app

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/authkit-go/authkit/core/authtest"
)

// appendJSONCases are /me answers of every shape: each member set and
// unset, and strings that json.Marshal escapes.
func appendJSONCases() []*meAnswer {
	yes, no := true, false
	odd := []string{"", "plain", `"quoted"`, `back\slash`, "<script>&</script>", "tab\there", "nl\n", "\x00\x1f\x7f",
		"é ü 日本", "\u2028\u2029", "\xff\xfe invalid", "a\u00a0b", "emoji 🙂"}
	cases := []*meAnswer{
		nil,
		{},
		{AMR: []string{}, Roles: []string{}},
		{AMR: []string{"pwd", "otp"}, Email: "a@example.com", EmailVerified: &yes, MFAEnabled: true, Roles: []string{"user", "admin"}, Sub: "alice", Via: "token"},
		{AMR: []string{"pwd"}, Email: "b@example.com", EmailVerified: &no, Roles: []string{"user"}, Sub: "bob", Via: "session"},
		{EmailVerified: &yes},
	}
	for _, s := range odd {
		cases = append(cases, &meAnswer{AMR: []string{s, s}, Email: s, Roles: []string{s}, Sub: s, Via: s})
	}
	return cases
}

// appendJSON writes what json.Marshal writes, byte for byte, and a case
// sets every member of meAnswer, so a member added to it and not to
// appendJSON fails here.
func TestAppendJSONIsMarshal(t *testing.T) {
	full := false
	for _, m := range appendJSONCases() {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON(%+v) = %s, json.Marshal %s", m, got, want)
		}
		if m != nil && !full {
			v, all := reflect.ValueOf(*m), true
			for i := range v.NumField() {
				all = all && !v.Field(i).IsZero()
			}
			full = all
		}
	}
	if !full {
		t.Error("no case sets every member of meAnswer")
	}
	status, header, body := Encode(Response{Status: 200, Body: appendJSONCases()[3]})
	want, _ := json.Marshal(appendJSONCases()[3])
	if status != 200 || header["Content-Type"] != "application/json" || header["Cache-Control"] != "no-store" || !bytes.Equal(body, want) {
		t.Errorf("Encode = %d %v %s", status, header, body)
	}
}

// GET /me's answer encodes with one allocation, its bytes.
func TestAppendJSONAllocations(t *testing.T) {
	m := appendJSONCases()[3]
	authtest.AllocBudget(t, "meAnswer.appendJSON", 1, func() { m.appendJSON(make([]byte, 0, 128)) })
}
