package oauth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/oauth"
)

// hostileNext are open-redirect payloads: each would send the browser to
// another origin (directly, after a browser's or a proxy's normalisation,
// or after a decoding round), run script, or split a header.
var hostileNext = []string{
	"",
	"//evil.example",
	"//evil.example/path",
	"///evil.example",
	"////evil.example",
	"/\\evil.example",
	"/\\/evil.example",
	"\\\\evil.example",
	"\\/evil.example",
	"\\evil.example",
	"/%2F%2Fevil.example",
	"/%2f%2fevil.example",
	"/%2Fevil.example",
	"/%5Cevil.example",
	"/%5cevil.example",
	"/%252F%252Fevil.example",
	"/%25252F%25252Fevil.example",
	"/%2525252F%2525252Fevil.example",
	"https:evil.example",
	"https://evil.example",
	"http://evil.example",
	"HTTPS://evil.example",
	"https:/evil.example",
	"//https://evil.example",
	"javascript:alert(1)",
	"JaVaScRiPt:alert(1)",
	"javascript://%0aalert(1)",
	"data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"java\tscript:alert(1)",
	"ht\ttps://evil.example",
	"h\nttps://evil.example",
	"/\t/evil.example",
	"/\n/evil.example",
	"/\r/evil.example",
	"/%09/evil.example",
	"/%0a/evil.example",
	"/%0d/evil.example",
	"/%0D%0ASet-Cookie:x=1",
	"/path\r\nLocation: https://evil.example",
	"/path\nSet-Cookie: x=1",
	"/path\x00",
	"/%00",
	"/path\x7f",
	" /path",
	"/ /evil.example",
	"/path with space",
	"\x00//evil.example",
	"/\u2215evil.example",
	"/\u2215\u2215evil.example",
	"/\uFF0F\uFF0Fevil.example",
	"/\uFF0Fevil.example",
	"/\u2044evil.example",
	"/\uFF3Cevil.example",
	"/%E2%88%95%E2%88%95evil.example",
	"/%EF%BC%8F%EF%BC%8Fevil.example",
	"/%E2%81%84evil.example",
	"/\u200b/evil.example",
	"/%E2%80%8B/evil.example",
	"/%EF%BB%BF/evil.example",
	"/%C0%AFevil.example",
	"/%ff",
	"/café",
	"@evil.example",
	"evil.example",
	"evil.example/path",
	"//good.example@evil.example",
	"https://good.example@evil.example",
	"/\\@evil.example",
	"//@evil.example",
	"/..//evil.example",
	"/../evil",
	"/a/../../evil",
	"/./",
	"/%2e%2e/%2e%2e/evil",
	"/%2E/evil",
	"/.%2e/evil",
	"/%",
	"/%2",
	"/%zz",
	"/path%",
	"/<script>",
	"/\"onmouseover=alert(1)",
	"/a`b",
	"/a{b}",
	"/a|b",
	"/a^b",
	"/" + strings.Repeat("a", oauth.MaxNextLength),
	"?next=/",
	"#/evil",
	".//evil.example",
	"./evil",
	"~/evil",
}

// safeNext are return paths that must survive unchanged.
var safeNext = []string{
	"/",
	"/settings",
	"/a/b/c",
	"/a/b/",
	"/search?q=go&page=2",
	"/search?q=a%20b",
	"/page#section",
	"/page?x=1#frag",
	"/caf%C3%A9",
	"/files/a%2Fb",
	"/@alice",
	"/a:b",
	"/a;b=c",
	"/~user",
	"/a-b_c.d",
	"/next?url=//x",
	"/100%25",
	"/a..b",
	"/.well-known/x",
	"/" + strings.Repeat("a", oauth.MaxNextLength-1),
}

func TestSafeReturnPathRefusesHostile(t *testing.T) {
	if len(hostileNext) < 30 {
		t.Fatalf("hostile table has %d payloads, want at least 30", len(hostileNext))
	}
	for _, p := range hostileNext {
		got, ok := oauth.SafeReturnPath(p)
		if ok || got != "/" {
			t.Errorf("SafeReturnPath(%q) = %q, %v; want \"/\", false", p, got, ok)
		}
	}
}

func TestSafeReturnPathKeepsSafe(t *testing.T) {
	for _, p := range safeNext {
		got, ok := oauth.SafeReturnPath(p)
		if !ok || got != p {
			t.Errorf("SafeReturnPath(%q) = %q, %v; want it unchanged", p, got, ok)
		}
		checkSameOrigin(t, p)
	}
}

// base is where a return path is resolved, as a browser would at the
// callback.
var base, _ = url.Parse("https://app.example/oauth/callback?code=x")

// checkSameOrigin asserts that p, as a browser or a lenient server would
// read it (tabs and newlines dropped, backslashes as slashes, after up to
// four percent-decoding rounds), stays on base's origin and never starts a
// network-path reference.
func checkSameOrigin(t *testing.T, p string) {
	t.Helper()
	forms := []string{p}
	cur := p
	for range 4 {
		dec, err := url.PathUnescape(cur)
		if err != nil || dec == cur {
			break
		}
		forms = append(forms, dec)
		cur = dec
	}
	for _, f := range forms {
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(f)
		if strings.HasPrefix(browser, "//") || !strings.HasPrefix(browser, "/") {
			t.Fatalf("accepted %q reads as %q: not a same-origin path", p, browser)
		}
		u, err := base.Parse(browser)
		if err != nil {
			continue // not a URL at all; a browser would not leave either
		}
		if u.Scheme != "https" || u.Host != "app.example" || u.User != nil {
			t.Fatalf("accepted %q resolves to %s", p, u)
		}
	}
}

func FuzzSafeReturnPath(f *testing.F) {
	for _, p := range hostileNext {
		f.Add(p)
	}
	for _, p := range safeNext {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, ok := oauth.SafeReturnPath(p)
		if !ok {
			if got != "/" {
				t.Fatalf("refused %q but returned %q", p, got)
			}
			return
		}
		if got != p {
			t.Fatalf("accepted %q as %q", p, got)
		}
		if len(p) > oauth.MaxNextLength || p[0] != '/' || (len(p) > 1 && (p[1] == '/' || p[1] == '\\')) {
			t.Fatalf("accepted %q", p)
		}
		for i := 0; i < len(p); i++ {
			if p[i] < 0x21 || p[i] >= 0x7f || p[i] == '\\' {
				t.Fatalf("accepted %q with byte %#x", p, p[i])
			}
		}
		checkSameOrigin(t, p)
	})
}
