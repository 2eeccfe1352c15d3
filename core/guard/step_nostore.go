package guard

import (
	"context"
	"strings"
)

// WithoutNoStore leaves Cache-Control to the handler: authenticated answers
// and answers that set the session cookie no longer get
// "Cache-Control: no-store". SECURITY WARNING: without it, a shared cache
// (a CDN, a corporate proxy) that stores an authenticated answer serves
// one user's data, or a Set-Cookie with their session id, to others; give
// every such answer a Cache-Control of its own. Default: no-store on.
func WithoutNoStore() Option {
	return func(c *config) error { c.noNoStore = true; return nil }
}

// noStore is the Cache-Control field the guard sets; shared by every
// answer, never written to (see field).
var noStore = newField("Cache-Control", "no-store")

// noStoreStep marks an authenticated answer "Cache-Control: no-store"
// (OWASP session management: content for one user must not be cached
// where another can get it). It runs last, once the principal is known,
// and before the handler, which may set a Cache-Control of its own for an
// answer that is safe to keep (private, max-age=...). Anonymous answers are
// left alone; denials are no-store anyway (port.Deny).
type noStoreStep struct{}

func newNoStoreStep(g *Guard, _ *config) (step, error) {
	if !g.noStore || (!g.cookieAuth() && g.tokens == nil) {
		return nil, nil
	}
	return noStoreStep{}, nil
}

func (noStoreStep) before(x Exchange, st state) (state, *Denial) {
	if st.auth != nil {
		setField(x, noStore)
	}
	return st, nil
}

// noStoreCookie makes an answer that sets or clears the session cookie
// no-store, unless its Cache-Control already keeps it out of shared caches
// (no-store or private): a cached Set-Cookie would hand the session to
// whoever gets the copy. Commit calls it; the request was anonymous when
// Before ran at a sign-in, so the step above did not.
func (g *Guard) noStoreCookie(x Exchange) {
	if !g.noStore {
		return
	}
	cc := strings.ToLower(x.ResponseHeaderValue("Cache-Control"))
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "private") {
		return
	}
	setField(x, noStore)
}

// restoreCacheFields puts Vary and an authenticated answer's no-store back
// when the response lacks them (see RestoreHeaders).
func (g *Guard) restoreCacheFields(ctx context.Context, x Exchange) {
	if g.vary != "" && x.ResponseHeaderValue("Vary") == "" {
		x.SetHeader("Vary", g.vary)
	}
	if _, ok := PrincipalFrom(ctx); ok && g.noStore && x.ResponseHeaderValue("Cache-Control") == "" {
		setField(x, noStore)
	}
}
