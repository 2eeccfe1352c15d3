package guard

import (
	"net/http"
	"net/url"
)

// originCheck is the origin-based CSRF protection for unsafe methods on
// cookie-authenticated requests. It is net/http's CrossOriginProtection
// (Go 1.25): Sec-Fetch-Site when the browser sends it, else Origin against
// Host; requests with neither come from non-browser clients and pass.
type originCheck struct {
	cop *http.CrossOriginProtection
}

func newOriginCheck(trusted, exempt []string) (*originCheck, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	for _, p := range exempt {
		if err := addBypass(cop, p); err != nil {
			return nil, err
		}
	}
	return &originCheck{cop: cop}, nil
}

// addBypass turns AddInsecureBypassPattern's panic on a bad pattern into an
// error at construction.
func addBypass(cop *http.CrossOriginProtection, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrInvalidOption
		}
	}()
	cop.AddInsecureBypassPattern(pattern)
	return nil
}

// allowed reports whether x may proceed. Only the headers the check reads are
// copied into a minimal request, and only for unsafe methods.
func (o *originCheck) allowed(x Exchange) bool {
	switch x.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	h := make(http.Header, 2)
	if v := x.Header("Sec-Fetch-Site"); v != "" {
		h.Set("Sec-Fetch-Site", v)
	}
	if v := x.Header("Origin"); v != "" {
		h.Set("Origin", v)
	}
	r := &http.Request{Method: x.Method(), Host: x.Host(), Header: h, URL: &url.URL{Path: x.Path()}}
	return o.cop.Check(r) == nil
}
