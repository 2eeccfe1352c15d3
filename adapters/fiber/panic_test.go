package authfiber_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
)

// A handler that signs in and then panics: the recover middleware answers
// 500, and the answer still carries the headers and the new session cookie
// (the old id is already dead in the store), as on gin and echo.
func TestPanicAfterSignInKeepsCookieAndHeaders(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(recover.New(), authfiber.Middleware(guard.WithSessions(mgr), guard.WithAudit(audit.Discard)))
	app.Post("/login", func(c *fiber.Ctx) error {
		if _, err := guard.SignIn(c.UserContext(), guard.Principal{Subject: "alice"}); err != nil {
			return err
		}
		panic("boom")
	})
	resp, err := app.Test(httptest.NewRequest("POST", "/login", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", resp.StatusCode)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("the 500 lost the security headers: %v", resp.Header)
	}
	found := false
	for _, c := range resp.Cookies() {
		found = found || (c.Name == mgr.CookieName() && c.Value != "")
	}
	if !found {
		t.Errorf("the 500 carries no session cookie: %q", resp.Header.Values("Set-Cookie"))
	}
}
