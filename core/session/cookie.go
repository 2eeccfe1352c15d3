package session

import (
	"net/http"
	"time"
)

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.cfg.cookieName }

// Cookie returns the cookie that carries s's id: HttpOnly, Secure (unless
// WithInsecureCookies), SameSite=Lax, Path=/, and Max-Age equal to the time
// the session has left if unused (the idle timeout, cut short by the absolute
// lifetime). The guard writes it when s is Fresh, Rotated or Touched. A nil
// or destroyed session yields ExpiredCookie.
func (m *Manager) Cookie(s *Session) *http.Cookie {
	if s == nil || s.destroyed {
		return m.ExpiredCookie()
	}
	ttl := m.policy().TTL(s.rec.CreatedAt)
	secs := int((ttl + time.Second - 1) / time.Second)
	if secs <= 0 {
		return m.ExpiredCookie()
	}
	c := m.baseCookie()
	c.Value = s.id.Secret()
	c.MaxAge = secs
	return c
}

// ExpiredCookie returns a cookie that makes the browser drop the session
// cookie, for logout.
func (m *Manager) ExpiredCookie() *http.Cookie {
	c := m.baseCookie()
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	return c
}

func (m *Manager) baseCookie() *http.Cookie {
	return &http.Cookie{
		Name:     m.cfg.cookieName,
		Path:     "/",
		Domain:   m.cfg.domain,
		Secure:   !m.cfg.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
