package session_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/session"
)

// Example shows one session's life: an anonymous visit, login with
// rotation, and logout.
func Example() {
	ctx := context.Background()
	sessions, err := session.New(session.WithAudit(audit.Discard)) // memory store
	if err != nil {
		fmt.Println(err)
		return
	}

	s, err := sessions.Create(ctx, session.Meta{ClientIP: "192.0.2.1", UserAgent: "curl/8"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = s.Set("theme", "dark")
	cookie := sessions.Cookie(s)
	fmt.Println(cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.MaxAge)

	// Next request, at login: bind the user and rotate the id.
	s, _ = sessions.Load(ctx, cookie.Value) // unsaved changes were never written
	s.SetUser("alice")
	if err := sessions.Save(ctx, s); err != nil { // rotates because the user changed
		fmt.Println(err)
		return
	}
	_, err = sessions.Load(ctx, cookie.Value)
	fmt.Println("old id after login:", errors.Is(err, session.ErrNotFound), "rotated:", s.Rotated())

	// Logout.
	_ = sessions.Destroy(ctx, s)
	fmt.Println(sessions.ExpiredCookie().MaxAge)
	// Output:
	// __Host-session true true 1800
	// old id after login: true rotated: true
	// -1
}

// ExampleManager_Load_errorChecking shows how a guard branches on Load's
// errors.
func ExampleManager_Load_errorChecking() {
	sessions, _ := session.New(session.WithAudit(audit.Discard))
	for _, cookie := range []string{"not-an-id", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		_, err := sessions.Load(context.Background(), cookie)
		switch {
		case errors.Is(err, session.ErrMalformedID):
			fmt.Println("malformed: drop the cookie")
		case errors.Is(err, session.ErrNotFound): // includes ErrExpired
			fmt.Println("no live session: treat as anonymous")
		case errors.Is(err, session.ErrUnavailable):
			fmt.Println("store down: 503")
		case err == nil:
			fmt.Println("loaded")
		}
	}
	// Output:
	// malformed: drop the cookie
	// no live session: treat as anonymous
}

// ExampleGet reads a typed value.
func ExampleGet() {
	sessions, _ := session.New(session.WithAudit(audit.Discard))
	s, _ := sessions.Create(context.Background(), session.Meta{})
	_ = s.Set("cart", []string{"apple", "pear"})
	cart, ok := session.Get[[]string](s, "cart")
	fmt.Println(cart, ok)
	_, ok = session.Get[int](s, "cart")
	fmt.Println(ok)
	// Output:
	// [apple pear] true
	// false
}

// ExampleManager_List shows an "active devices" page and "log out
// everywhere".
func ExampleManager_List() {
	ctx := context.Background()
	sessions, _ := session.New(session.WithAudit(audit.Discard))
	phone, _ := sessions.Create(ctx, session.Meta{UserID: "alice", UserAgent: "phone"})
	_, _ = sessions.Create(ctx, session.Meta{UserID: "alice", UserAgent: "laptop"})

	devices, _ := sessions.List(ctx, "alice", phone)
	for _, d := range devices {
		if d.Current {
			fmt.Println(d.UserAgent, "(this device)")
		}
	}
	n, _ := sessions.DestroyAll(ctx, "alice")
	fmt.Println(len(devices), "devices,", n, "logged out")
	// Output:
	// phone (this device)
	// 2 devices, 2 logged out
}
