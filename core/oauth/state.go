package oauth

import (
	"cmp"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/authkit-go/authkit/core/internal/seal"
)

// An attempt is one sign-in: what the callback needs to finish it. It is
// sealed into one cookie per attempt, so parallel attempts (two tabs) do
// not overwrite each other, and anonymous visitors cost no server storage.
type attempt struct {
	State       string `json:"s"`
	Nonce       string `json:"n,omitempty"`
	Verifier    string `json:"v"`
	RedirectURI string `json:"r"`
	Next        string `json:"x"`
	Expires     int64  `json:"e"` // Unix seconds
}

// Cookie name prefixes of attempt cookies. The rest of the name is derived
// from the attempt's state (see cookieName).
const (
	CookiePrefix         = "__Host-oauth-"
	InsecureCookiePrefix = "oauth-"
)

// MaxAttempts is how many sign-ins one browser may have under way with
// one Client (several tabs): beginning another clears the oldest attempt
// cookie. Without a cap, every visit of the login page would add a cookie
// of up to 2 KB for the attempt's lifetime, and a few dozen visits —
// which a hostile page can make the browser do — would push its Cookie
// header past what servers accept, locking it out of the whole site.
const MaxAttempts = 4

const (
	stateBytes      = 32 // 256 bits, 43 base64url characters
	stateLen        = 43
	cookieHashChars = 16 // 96 bits of SHA-256(state) in the name
	maxCookieValue  = 4096
	sealVersion     = 1
)

var b64 = base64.RawURLEncoding

// stateOK reports whether s has the shape of a state authkit made.
func stateOK(s string) bool {
	if len(s) != stateLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !b64Byte(s[i]) {
			return false
		}
	}
	return true
}

func b64Byte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

// sealer seals attempts with XChaCha20-Poly1305 (random 192-bit nonces, so
// no limit on attempts per key), through package seal: the cookie value is
// base64url(nonce | ciphertext and tag), with no header. Each app key is stretched through HKDF
// into the AEAD key. The additional data binds a sealed attempt to its
// client (issuer and client id) and to its cookie name, so a cookie cannot
// be moved to another provider's callback or renamed to another state.
type sealer struct {
	aeads    []cipher.AEAD // [0] seals; all open
	binding  string
	prefix   string
	insecure bool
}

func newSealer(key []byte, previous [][]byte, issuer, clientID string, insecure bool) (*sealer, error) {
	s := &sealer{binding: issuer + "\x00" + clientID, prefix: CookiePrefix, insecure: insecure}
	if insecure {
		s.prefix = InsecureCookiePrefix
	}
	for _, k := range append([][]byte{key}, previous...) {
		if len(k) < minKeyBytes {
			return nil, fmt.Errorf("%w: a state key needs at least %d bytes", ErrInvalidConfig, minKeyBytes)
		}
		derived, err := hkdf.Key(sha256.New, k, nil, "authkit oauth attempt v1", chacha20poly1305.KeySize)
		if err != nil {
			return nil, fmt.Errorf("%w: state key: %v", ErrInvalidConfig, err)
		}
		a, err := chacha20poly1305.NewX(derived)
		if err != nil {
			return nil, fmt.Errorf("%w: state key: %v", ErrInvalidConfig, err)
		}
		s.aeads = append(s.aeads, a)
	}
	return s, nil
}

// cookieName is the attempt cookie's name for state: the prefix and 96
// bits of SHA-256 of the state, so the callback finds its attempt's
// cookie among several.
func (s *sealer) cookieName(state string) string {
	sum := sha256.Sum256([]byte("authkit oauth state\x00" + state))
	return s.prefix + b64.EncodeToString(sum[:])[:cookieHashChars]
}

func (s *sealer) additionalData(name string) []byte {
	return fmt.Appendf(nil, "authkit/oauth/attempt/v%d\x00%s\x00%s", sealVersion, s.binding, name)
}

// seal returns the cookie that carries a, valid for ttl.
func (s *sealer) seal(a *attempt, ttl time.Duration) (*http.Cookie, error) {
	plain, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	name := s.cookieName(a.State)
	c := s.cookie(name)
	c.Value = b64.EncodeToString(seal.Seal(s.aeads[0], nil, plain, s.additionalData(name)))
	c.MaxAge = int(ttl / time.Second)
	if len(c.Value) > maxCookieValue-len(name)-1 {
		return nil, errors.New("oauth: attempt too large for a cookie")
	}
	return c, nil
}

// open finds and opens the attempt cookie for state. found reports whether
// a cookie of that name was present (it must then be cleared, whatever the
// outcome). The state inside is compared with state in constant time.
func (s *sealer) open(state string, cookies func(name string) (string, bool), now time.Time) (a *attempt, found bool, err error) {
	name := s.cookieName(state)
	value, found := cookies(name)
	if !found {
		return nil, false, fail(CodeStateMismatch, errors.New("no attempt cookie for this state"))
	}
	if a, err = s.openValue(name, value); err != nil {
		return nil, true, err
	}
	if subtle.ConstantTimeCompare([]byte(a.State), []byte(state)) != 1 {
		return nil, true, fail(CodeStateMismatch, errors.New("state differs from the attempt's"))
	}
	if !now.Before(time.Unix(a.Expires, 0)) {
		return nil, true, fail(CodeStateExpired, nil)
	}
	return a, true, nil
}

// openValue opens the value of the attempt cookie name under any of the
// keys.
func (s *sealer) openValue(name, value string) (*attempt, error) {
	if len(value) > maxCookieValue {
		return nil, fail(CodeStateMismatch, errors.New("attempt cookie too long"))
	}
	sealed, err := b64.DecodeString(value)
	if err != nil {
		return nil, fail(CodeStateMismatch, errors.New("attempt cookie malformed"))
	}
	ad := s.additionalData(name)
	var plain []byte
	for _, aead := range s.aeads {
		if plain, err = seal.Open(aead, sealed, ad); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fail(CodeStateMismatch, errors.New("attempt cookie does not open"))
	}
	a := new(attempt)
	if err := json.Unmarshal(plain, a); err != nil {
		return nil, fail(CodeStateMismatch, errors.New("attempt cookie malformed"))
	}
	return a, nil
}

// crowded returns the clearing cookies that make room for one more
// attempt among the request's cookies: when MaxAttempts or more of them
// are this client's attempts (they open under its keys; another client's
// attempts and foreign cookies are left alone), the oldest go, so that
// MaxAttempts-1 stay beside the new one. Age is the sealed expiry (the TTL
// is the same for all), ties in the order the browser sent them (creation
// order, RFC 6265 §5.4).
func (s *sealer) crowded(cookies []*http.Cookie) []*http.Cookie {
	type held struct {
		name    string
		expires int64
	}
	var ours []held
	for _, c := range cookies {
		if !strings.HasPrefix(c.Name, s.prefix) || slices.ContainsFunc(ours, func(h held) bool { return h.name == c.Name }) {
			continue
		}
		if a, err := s.openValue(c.Name, c.Value); err == nil {
			ours = append(ours, held{c.Name, a.Expires})
		}
	}
	if len(ours) < MaxAttempts {
		return nil
	}
	slices.SortStableFunc(ours, func(a, b held) int { return cmp.Compare(a.expires, b.expires) })
	clears := make([]*http.Cookie, 0, len(ours)-(MaxAttempts-1))
	for _, h := range ours[:len(ours)-(MaxAttempts-1)] {
		clears = append(clears, s.clearCookie(h.name))
	}
	return clears
}

// cookie returns an attempt cookie's attributes: HttpOnly, Secure (unless
// WithInsecureCookies), SameSite=Lax (the provider's redirect back is a
// top-level GET, which Lax lets through), Path=/ (required by "__Host-").
func (s *sealer) cookie(name string) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Path:     "/",
		Secure:   !s.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// clearCookie returns the cookie that removes the attempt cookie name.
func (s *sealer) clearCookie(name string) *http.Cookie {
	c := s.cookie(name)
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	return c
}
