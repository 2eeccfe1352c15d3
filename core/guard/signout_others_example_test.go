package guard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// A flow that turns a second factor on (or changes the password) ends the
// user's other sign-ins and keeps the request's own.
func ExampleSignOutOthers() {
	key, _ := token.GenerateKey(token.ES256, "")
	keys, _ := token.NewKeySet(key)
	issuer, _ := token.NewIssuer(keys, token.WithAudit(audit.Discard))
	sessions, _ := session.New(session.WithAudit(audit.Discard))
	g := guard.Must(guard.New(guard.WithTokens(issuer), guard.WithSessions(sessions), guard.WithAudit(audit.Discard)))

	// serve runs one request through the guard; flow plays the handler.
	serve := func(r *http.Request, flow func(ctx context.Context)) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		x := guard.HTTPExchange{W: w, R: r}
		ctx, _ := g.Before(x)
		flow(ctx)
		g.Commit(ctx, x)
		return w
	}
	// Two sign-ins of alice, by token (phone) and by token and cookie
	// (this browser).
	phone, _ := issuer.IssuePair(context.Background(), token.Subject{ID: "alice"})
	var here token.Pair
	w := serve(httptest.NewRequest("POST", "https://app.example/login", nil), func(ctx context.Context) {
		here, _ = issuer.IssuePair(ctx, token.Subject{ID: "alice"})
		_, _ = guard.SignIn(ctx, guard.Principal{Subject: "alice", Family: here.Family()})
	})
	cookie := w.Result().Cookies()[0]

	// POST /mfa/enable, with this browser's cookie.
	r := httptest.NewRequest("POST", "https://app.example/mfa/enable", nil)
	r.Header.Set("Origin", "https://app.example")
	r.AddCookie(cookie)
	serve(r, func(ctx context.Context) {
		// ... the factor is confirmed, then:
		if err := guard.SignOutOthers(ctx); err != nil {
			fmt.Println(err) // guard.ProblemFor(err) gives the answer
		}
	})

	_, errPhone := issuer.Refresh(context.Background(), phone.RefreshToken)
	_, errHere := issuer.Refresh(context.Background(), here.RefreshToken)
	fmt.Println("phone:", errPhone)
	fmt.Println("this browser:", errHere)
	// Output:
	// phone: token: revoked: refresh family
	// this browser: <nil>
}
