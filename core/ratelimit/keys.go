package ratelimit

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Key is what a limit counts by: a kind ("ip", "account", ...) and a value.
// Keys of different kinds never share a bucket. Audit events name the kind
// and only a keyed hash of the value (KindIP excepted: the network prefix
// is written as the event's IP).
type Key struct {
	// Kind says what Value is; it must not be empty.
	Kind string
	// Value identifies the client, user, route, ... Any bytes.
	Value string
}

// The key kinds authkit's helpers make. Any other non-empty kind is fine
// for a custom key.
const (
	KindIP      = "ip"
	KindUser    = "user"
	KindRoute   = "route"
	KindAccount = "account"
)

// UserKey is the key of an authenticated user: pass the principal's subject.
func UserKey(subject string) Key { return Key{Kind: KindUser, Value: subject} }

// RouteKey is the key of a route: pass the method and the route's pattern
// as registered ("GET /orders/{id}"), not the request path, or every id
// gets a bucket of its own.
func RouteKey(method, pattern string) Key {
	return Key{Kind: KindRoute, Value: method + " " + pattern}
}

// AccountKey is the key of a sign-in name, normalised by NormalizeUsername,
// so every spelling of one name shares one bucket. Charge it for every
// attempt, whether the account exists or not.
func AccountKey(username string) Key {
	return Key{Kind: KindAccount, Value: NormalizeUsername(username)}
}

// IPKeyer makes keys from client addresses, grouping them by network
// prefix: an IPv6 client usually owns a whole /64, so counting single
// addresses would give it 2^64 buckets. The zero IPKeyer groups IPv4 by /32
// and IPv6 by /64, as IPKey does.
//
// SECURITY WARNING: the address must come from the guard's trusted-proxy
// logic (the connection's peer, or the configured forwarding header when the
// peer is a trusted proxy), never straight from a request header, or every
// client picks its own bucket.
type IPKeyer struct {
	v4, v6 int
}

// NewIPKeyer returns an IPKeyer grouping IPv4 addresses by their first v4Bits
// bits (1–32) and IPv6 addresses by their first v6Bits bits (1–128).
func NewIPKeyer(v4Bits, v6Bits int) (IPKeyer, error) {
	if v4Bits < 1 || v4Bits > 32 || v6Bits < 1 || v6Bits > 128 {
		return IPKeyer{}, fmt.Errorf("%w: IP prefix lengths /%d (IPv4, 1–32) and /%d (IPv6, 1–128)", ErrInvalidConfig, v4Bits, v6Bits)
	}
	return IPKeyer{v4: v4Bits, v6: v6Bits}, nil
}

// Key returns the key of addr's network, e.g. {ip 2001:db8:1:2::/64}. An
// IPv4-mapped IPv6 address counts as IPv4, and a zone is dropped. It fails
// with ErrInvalidKey for the zero Addr.
func (k IPKeyer) Key(addr netip.Addr) (Key, error) {
	if !addr.IsValid() {
		return Key{}, fmt.Errorf("%w: invalid IP address", ErrInvalidKey)
	}
	addr = addr.Unmap().WithZone("")
	bits := k.v6
	if addr.Is4() {
		bits = k.v4
		if bits == 0 {
			bits = 32
		}
	} else if bits == 0 {
		bits = 64
	}
	p, err := addr.Prefix(bits)
	if err != nil { // unreachable: bits is in range for the family
		return Key{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	var buf [64]byte // the longest, an IPv6 /128, is 43 bytes
	return Key{Kind: KindIP, Value: string(p.AppendTo(buf[:0]))}, nil
}

// IPKey returns the key of addr grouped by /32 (IPv4) or /64 (IPv6); see
// IPKeyer.
func IPKey(addr netip.Addr) (Key, error) { return IPKeyer{}.Key(addr) }

// maxUsernameBytes is how much of a sign-in name NormalizeUsername reads
// and returns: names longer than that share the bucket of their first 1
// KiB, which bounds the work a hostile name can cause (NFKC may expand a
// character eighteenfold).
const maxUsernameBytes = 1024

// NormalizeUsername maps the spellings of one sign-in name to one string,
// so they share one bucket: Unicode NFKC (fullwidth "ａｌｉｃｅ" is
// "alice"), full case folding ("Alice", "ALICE"), format and control
// characters removed (a zero-width space changes nothing), runs of white
// space made one space and trimmed ("alice " is "alice"). A run of
// invalid UTF-8 becomes U+FFFD; the result is at most 1 KiB. It is
// idempotent.
//
// An application should find its accounts by the same normalisation (or a
// coarser one); otherwise "Alice" and "alice" may be one account with two
// buckets.
func NormalizeUsername(name string) string {
	s := strings.ToValidUTF8(capBytes(name), "\uFFFD")
	// Each pass can uncover work for the next (folding and dropping
	// characters can make new compositions, the cap can cut a sequence),
	// so pass until nothing changes; two passes are the rule.
	for range 8 {
		next := norm.NFKC.String(s)
		next = cases.Fold().String(next)
		next = capBytes(norm.NFKC.String(cleanSpace(next)))
		if next == s {
			break
		}
		s = next
	}
	return s
}

// capBytes cuts s to at most maxUsernameBytes, at a character boundary.
func capBytes(s string) string {
	if len(s) <= maxUsernameBytes {
		return s
	}
	cut := maxUsernameBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// cleanSpace drops format (Cf) and non-space control characters, makes each
// run of white space one ' ' and trims the ends.
func cleanSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.Is(unicode.Cf, r) || unicode.IsControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}
