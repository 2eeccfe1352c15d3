package ratelimit_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/authkit-go/authkit/core/ratelimit"
)

// hostileNames are sign-in names an attacker might send to get a bucket of
// their own for somebody else's account, or to make normalising expensive.
var hostileNames = []struct {
	in, want string
}{
	{"alice", "alice"},
	{"Alice", "alice"},
	{"ALICE", "alice"},
	{"alice ", "alice"},
	{"  alice\t\n", "alice"},
	{"ａｌｉｃｅ", "alice"},             // fullwidth
	{"Ａｌｉｃｅ", "alice"},             // fullwidth capitals
	{"alice\u200b", "alice"},       // zero-width space
	{"al\u00adice", "alice"},       // soft hyphen
	{"\ufeffalice", "alice"},       // byte-order mark
	{"\u202ealice", "alice"},       // right-to-left override
	{"alice\x00", "alice"},         // NUL
	{"\u00a0alice\u3000", "alice"}, // no-break and ideographic spaces
	{"alice  smith", "alice smith"},
	{"alice\u2003smith", "alice smith"}, // em space
	{"ＡＬＩＣＥ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "alice@example.com"},
	{"Straße", "strasse"},  // full case folding
	{"ǅemo", "džemo"},      // titlecase digraph
	{"e\u0301", "é"},       // composed
	{"e\u200b\u0301", "é"}, // a dropped character uncovers a composition
	{"\uFB01le", "file"},   // ligature
	{"Ⅻ", "xii"},           // compatibility numeral
	{"\xff\xfealice", "\ufffdalice"},
	{"", ""},
	{"   ", ""},
	{"\u200b", ""},
}

func TestNormalizeUsername(t *testing.T) {
	for _, tt := range hostileNames {
		if got := ratelimit.NormalizeUsername(tt.in); got != tt.want {
			t.Errorf("NormalizeUsername(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeUsernameBoundsWork(t *testing.T) {
	// U+FDFA expands to 18 characters under NFKC.
	long := strings.Repeat("\ufdfa", 100_000)
	got := ratelimit.NormalizeUsername(long)
	if len(got) > 1024 {
		t.Fatalf("normalised %d bytes of a hostile name", len(got))
	}
	if ratelimit.NormalizeUsername(strings.Repeat("a", 5000)) != ratelimit.NormalizeUsername(strings.Repeat("a", 1024)+"different tail") {
		t.Fatal("names beyond 1 KiB must share the bucket of their first 1 KiB")
	}
	cut := strings.Repeat("a", 1023) + "é" // the cut falls inside é
	if got := ratelimit.NormalizeUsername(cut + "zzz"); !utf8.ValidString(got) || got != strings.Repeat("a", 1023) {
		t.Fatalf("cut inside a character: %+q", got[1000:])
	}
}

func checkNormalized(t *testing.T, in string) {
	got := ratelimit.NormalizeUsername(in)
	if !utf8.ValidString(got) {
		t.Fatalf("NormalizeUsername(%+q) = %+q: invalid UTF-8", in, got)
	}
	if again := ratelimit.NormalizeUsername(got); again != got {
		t.Fatalf("not idempotent: %+q → %+q → %+q", in, got, again)
	}
	if strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
		t.Fatalf("NormalizeUsername(%+q) = %+q: untrimmed or doubled space", in, got)
	}
	for _, r := range got {
		if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' {
			t.Fatalf("NormalizeUsername(%+q) = %+q keeps %U", in, got, r)
		}
	}
	if isASCII(in) { // beyond ASCII, upper-casing and folding can disagree (Turkish ı)
		if up, low := ratelimit.NormalizeUsername(strings.ToUpper(in)), ratelimit.NormalizeUsername(strings.ToLower(in)); up != got || low != got {
			t.Fatalf("case variants differ: %+q → %+q, upper → %+q, lower → %+q", in, got, up, low)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, tt := range hostileNames {
		f.Add(tt.in)
	}
	f.Add(strings.Repeat("\ufdfa", 600))
	f.Add(strings.Repeat("a", 1023) + "é")
	f.Fuzz(checkNormalized)
}

func TestIPKey(t *testing.T) {
	v4_24, err := ratelimit.NewIPKeyer(24, 56)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		keyer ratelimit.IPKeyer
		addr  string
		want  string
	}{
		{ratelimit.IPKeyer{}, "192.0.2.7", "192.0.2.7/32"},
		{ratelimit.IPKeyer{}, "::ffff:192.0.2.7", "192.0.2.7/32"}, // IPv4-mapped counts as IPv4
		{ratelimit.IPKeyer{}, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{ratelimit.IPKeyer{}, "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{ratelimit.IPKeyer{}, "fe80::1%eth0", "fe80::/64"}, // zone dropped
		{ratelimit.IPKeyer{}, "::1", "::/64"},
		{v4_24, "192.0.2.7", "192.0.2.0/24"},
		{v4_24, "2001:db8:1:2ff::1", "2001:db8:1:200::/56"},
	}
	for _, tt := range tests {
		k, err := tt.keyer.Key(netip.MustParseAddr(tt.addr))
		if err != nil || k.Kind != ratelimit.KindIP || k.Value != tt.want {
			t.Errorf("Key(%s) = %+v, %v; want ip %s", tt.addr, k, err, tt.want)
		}
	}
	if _, err := ratelimit.IPKey(netip.Addr{}); !errors.Is(err, ratelimit.ErrInvalidKey) {
		t.Errorf("zero Addr: %v", err)
	}
	for _, bits := range [][2]int{{0, 64}, {33, 64}, {32, 0}, {32, 129}, {-1, -1}} {
		if _, err := ratelimit.NewIPKeyer(bits[0], bits[1]); !errors.Is(err, ratelimit.ErrInvalidConfig) {
			t.Errorf("NewIPKeyer(%d, %d): %v", bits[0], bits[1], err)
		}
	}
}

// Every address of one network gets the network's key, and no other
// network's.
func FuzzIPKey(f *testing.F) {
	for _, s := range []string{"192.0.2.7", "::ffff:192.0.2.7", "2001:db8::1", "fe80::1%eth0", "::", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		f.Add(b[:], a.Is4(), uint8(64), a.Zone())
	}
	f.Fuzz(func(t *testing.T, raw []byte, v4 bool, v6bits uint8, zone string) {
		if len(raw) < 16 {
			return
		}
		addr := netip.AddrFrom16([16]byte(raw[:16]))
		if v4 {
			addr = addr.Unmap()
			if !addr.Is4() {
				addr = netip.AddrFrom4([4]byte(raw[:4]))
			}
		} else if zone != "" && !strings.ContainsAny(zone, "%") {
			addr = addr.WithZone(zone)
		}
		bits := int(v6bits%128) + 1
		keyer, err := ratelimit.NewIPKeyer(24, bits)
		if err != nil {
			t.Fatal(err)
		}
		k, err := keyer.Key(addr)
		if err != nil {
			t.Fatal(err)
		}
		p, err := netip.ParsePrefix(k.Value)
		if err != nil || !p.Contains(addr.Unmap().WithZone("")) || p.Masked() != p {
			t.Fatalf("Key(%v) = %q: not the masked network of the address (%v)", addr, k.Value, err)
		}
		want := bits
		if addr.Unmap().Is4() {
			want = 24
		}
		if p.Bits() != want {
			t.Fatalf("Key(%v) = %q, want /%d", addr, k.Value, want)
		}
	})
}
