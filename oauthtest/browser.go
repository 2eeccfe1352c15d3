package oauthtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
)

// Browser is an HTTP client with a cookie jar that follows redirects one
// hop at a time, so a test can watch or tamper with every hop (the
// authorization URL, the callback URL) as an attacker in the middle could.
type Browser struct {
	// Client has the jar and follows no redirects itself.
	Client *http.Client
	// Hops lists every URL visited by Follow, in order.
	Hops []*url.URL
}

// NewBrowser returns a Browser over base's transport (trusting what base
// trusts) with an empty cookie jar.
func NewBrowser(base *http.Client) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{Client: &http.Client{
		Transport: base.Transport,
		Jar:       jar,
		Timeout:   base.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Follow GETs start and follows redirects (at most 10). Before each hop,
// tamper (when not nil) may return a replacement URL, or nil to stop
// there without requesting it (Follow then returns nil). It returns the
// first response that is not a redirect, with its body read into Body.
func (b *Browser) Follow(t testing.TB, start string, tamper func(u *url.URL) *url.URL) *Response {
	t.Helper()
	u, err := url.Parse(start)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if tamper != nil {
			if u = tamper(u); u == nil {
				return nil
			}
		}
		b.Hops = append(b.Hops, u)
		resp, err := b.Client.Get(u.String())
		if err != nil {
			t.Fatalf("GET %s: %v", u.Redacted(), err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return &Response{Response: resp, Body: body}
		}
		next, err := u.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatalf("redirect from %s: %v", u.Redacted(), err)
		}
		u = next
	}
	t.Fatalf("more than 10 redirects from %s", start)
	return nil
}

// Until GETs start and follows redirects until the next URL is one stop
// accepts (the callback, a landing page), which it returns without
// requesting it; it fails the test when an answer that is no redirect
// comes first. tamper, when not nil, may replace every other hop, as in
// Follow.
func (b *Browser) Until(t testing.TB, start string, stop func(u *url.URL) bool, tamper func(u *url.URL) *url.URL) *url.URL {
	t.Helper()
	var found *url.URL
	resp := b.Follow(t, start, func(u *url.URL) *url.URL {
		if stop(u) {
			found = u
			return nil
		}
		if tamper != nil {
			return tamper(u)
		}
		return u
	})
	if found == nil {
		status := "nothing"
		if resp != nil {
			status = resp.Status + " " + string(resp.Body)
		}
		t.Fatalf("the flow from %s ended before its stop: %s", start, status)
	}
	return found
}

// Cookies returns the jar's cookies for rawURL.
func (b *Browser) Cookies(t testing.TB, rawURL string) []*http.Cookie {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return b.Client.Jar.Cookies(u)
}

// Response is the final answer of Follow.
type Response struct {
	*http.Response
	Body []byte
}
