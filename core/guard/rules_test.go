package guard_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/port"
)

// authorize runs rules on a request by p (nil: anonymous) and returns the
// denial and the response header.
func authorize(t *testing.T, method string, p *guard.Principal, rules ...guard.Rule) (*guard.Denial, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, "/", nil)
	if p != nil {
		r = r.WithContext(guard.WithPrincipal(r.Context(), *p))
	}
	rec := httptest.NewRecorder()
	return guard.Authorize(guard.HTTPExchange{W: rec, R: r}, rules...), rec.Header()
}

// statusOf is d's status, 0 when the request was let through.
func statusOf(d *guard.Denial) int {
	if d == nil {
		return 0
	}
	return d.Status
}

func TestMFAWithin(t *testing.T) {
	clock := testclock.New()
	rule := guard.MFAWithin(5 * time.Minute).WithClock(clock.Now)
	at := func(d time.Duration) *guard.Principal {
		return &guard.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}, MFAAt: clock.Now().Add(d)}
	}
	tests := []struct {
		name       string
		p          *guard.Principal
		wantStatus int // 0: allowed
	}{
		{"anonymous", nil, 401},
		{"never passed a second factor", &guard.Principal{Subject: "alice", AMR: []string{"pwd"}}, 403},
		{"otp in the AMR but no time", &guard.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}}, 403},
		{"just now", at(0), 0},
		{"at the limit", at(-5 * time.Minute), 0},
		{"a second too old", at(-5*time.Minute - time.Second), 403},
		{"slightly ahead of the clock", at(30 * time.Second), 0},
		{"far in the future", at(time.Hour), 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, h := authorize(t, "POST", tc.p, rule)
			if got := statusOf(d); got != tc.wantStatus {
				t.Fatalf("status = %d (0: allowed), want %d", got, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusForbidden {
				return
			}
			var body map[string]any
			if err := json.Unmarshal(d.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body["type"] != guard.TypeStepUpRequired || body["max_age"] != float64(300) {
				t.Errorf("body = %s, want step-up-required with max_age 300", d.Body)
			}
			if got, want := h.Get("WWW-Authenticate"), `Bearer error="insufficient_user_authentication", max_age=300`; got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
	// The rule reads the clock at each check, not when it was built.
	p := at(0)
	clock.Advance(6 * time.Minute)
	if d, _ := authorize(t, "POST", p, rule); d == nil || d.Status != 403 {
		t.Errorf("after the clock moved on: %+v, want 403", d)
	}
}

// onlyAdminsDelete is a rule as a feature package would write it: its own
// type implementing port.Rule, seeing the request, no guard import needed.
type onlyAdminsDelete struct{}

func (onlyAdminsDelete) Check(x port.Exchange, p port.Principal, ok bool) *port.Problem {
	if x.Method() != http.MethodDelete || ok && p.HasRole("admin") {
		return nil
	}
	return port.NewProblem(http.StatusForbidden, port.TypeForbidden, "only admins delete").WithHeader("X-Required-Role", "admin")
}

func TestCustomRules(t *testing.T) {
	user := &guard.Principal{Subject: "bob", Roles: []string{"user"}}
	admin := &guard.Principal{Subject: "root", Roles: []string{"admin"}}
	weekdays := guard.RuleFunc(func(x guard.Exchange, _ guard.Principal, _ bool) *guard.Problem {
		if x.Header("X-Day") == "sunday" {
			return guard.NewProblem(http.StatusServiceUnavailable, guard.TypeUnavailable, "closed on Sundays").
				WithHeader("Retry-After", "86400").WithHeader("X-Reason", "sunday")
		}
		return nil
	})
	if d, _ := authorize(t, "GET", user, onlyAdminsDelete{}); d != nil {
		t.Errorf("GET by a user: %d", d.Status)
	}
	if d, h := authorize(t, "DELETE", user, onlyAdminsDelete{}); d == nil || d.Status != 403 || h.Get("X-Required-Role") != "admin" {
		t.Errorf("DELETE by a user: %+v %v", d, h)
	}
	if d, _ := authorize(t, "DELETE", admin, onlyAdminsDelete{}); d != nil {
		t.Errorf("DELETE by an admin: %d", d.Status)
	}

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Day", "sunday")
	rec := httptest.NewRecorder()
	d := guard.Authorize(guard.HTTPExchange{W: rec, R: r}, guard.Authenticated(), weekdays)
	if d == nil || d.Status != 401 {
		t.Fatalf("the first failing rule answers: %+v", d)
	}
	rec = httptest.NewRecorder()
	d = guard.Authorize(guard.HTTPExchange{W: rec, R: r}, weekdays)
	if d == nil || d.Status != 503 || rec.Header().Get("Retry-After") != "86400" || rec.Header().Get("X-Reason") != "sunday" ||
		d.Header.Get("X-Reason") != "sunday" {
		t.Errorf("a rule's denial with two fields: %+v, header %v", d, rec.Header())
	}
}
