package guard

import (
	"context"
	"net/http"

	"github.com/authkit-go/authkit/core/port"
)

// BeforeHTTP is Before for the standard library's request and response
// writer, which net/http, gin and echo hand out: the same as
// Before(HTTPExchange{W: w, R: r}). A guard whose only protection is the
// security headers (New with no options, or only WithHeaders) sets them
// straight into w's header map without building the Exchange, which
// would cost the request an allocation: the adapters' headers-only
// middleware then allocates nothing of its own.
func (g *Guard) BeforeHTTP(w http.ResponseWriter, r *http.Request) (context.Context, *Denial) {
	if !g.headersOnly {
		return g.Before(HTTPExchange{W: w, R: r})
	}
	if g.headers == nil { // WithoutHeaders and nothing else: no step at all
		return r.Context(), nil
	}
	// Secure(x) without the Exchange where it can tell: over TLS, or not
	// from a trusted proxy (with none configured, nothing is).
	secure := r.TLS != nil
	if !secure && len(g.trustedProxies) > 0 {
		secure = g.Secure(HTTPExchange{W: w, R: r})
	}
	ctx, err := g.headers.ApplyHeader(r.Context(), w.Header(), secure)
	if err != nil { // as the headers step: crypto/rand failed
		return ctx, port.Deny(HTTPExchange{W: w, R: r}, ProblemFor(err))
	}
	return ctx, nil
}

// headersOnly reports whether steps hold the headers step alone, or
// nothing: what BeforeHTTP can do without an Exchange.
func headersOnly(steps []step) bool {
	switch len(steps) {
	case 0:
		return true
	case 1:
		_, ok := steps[0].(headersStep)
		return ok
	}
	return false
}
