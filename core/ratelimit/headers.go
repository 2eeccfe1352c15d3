package ratelimit

import (
	"strconv"
	"strings"
	"time"
)

// The response header fields Fields fills in.
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// Fields are the values of the rate-limit response header fields for one
// request, following draft-ietf-httpapi-ratelimit-headers-09 ("RateLimit
// header fields for HTTP") and RFC 9110's Retry-After. An empty value means
// "do not send this field".
type Fields struct {
	// Policy is the RateLimit-Policy value: every policy applied to the
	// request, once each, in order, e.g. `"ip";q=60;w=60, "account";q=5;w=60`.
	// q is the limit's Rate and w its Period in seconds; a burst other than
	// the rate is added as the vendor parameter authkit-burst.
	Policy string
	// RateLimit is the RateLimit value for the one decision closest to its
	// limit (Decisions.Binding), e.g. `"account";r=0;t=12`: r is the units
	// remaining, t the seconds until the bucket is full again or, on a
	// refusal, until the request would be admitted (the same instant as
	// Retry-After, as the draft asks).
	RateLimit string
	// RetryAfter is the Retry-After value in seconds, rounded up, when the
	// request was refused; "" otherwise.
	RetryAfter string
}

// Fields returns the header field values for ds. No partition key (pk) is
// sent: a key can be a username.
func (ds Decisions) Fields() Fields {
	f := Fields{Policy: policyField(ds), RateLimit: rateLimitField(ds)}
	if !ds.Allowed() {
		if r := ds.RetryAfter(); r > 0 {
			f.RetryAfter = strconv.FormatInt(ceilSeconds(r), 10)
		}
	}
	return f
}

// policyField is the RateLimit-Policy value of ds.
func policyField(ds Decisions) string {
	var b strings.Builder
	for i, d := range ds {
		if !sfString(d.Policy) || seenPolicy(ds[:i], d.Policy) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		writeSFString(&b, d.Policy)
		b.WriteString(";q=")
		b.WriteString(strconv.Itoa(d.Limit.Rate))
		b.WriteString(";w=")
		b.WriteString(strconv.FormatInt(ceilSeconds(d.Limit.Period), 10))
		if burst := d.Limit.burst(); burst != d.Limit.Rate {
			b.WriteString(";authkit-burst=")
			b.WriteString(strconv.Itoa(burst))
		}
	}
	return b.String()
}

// rateLimitField is the RateLimit value of ds: its binding decision's.
func rateLimitField(ds Decisions) string {
	d, ok := ds.Binding()
	if !ok || !sfString(d.Policy) {
		return ""
	}
	t := d.ResetAfter
	if !d.Allowed {
		t = d.RetryAfter
	}
	// Built in a stack buffer: the string is the only allocation.
	var buf [96]byte
	b := append(buf[:0], '"')
	for i := 0; i < len(d.Policy); i++ {
		if d.Policy[i] == '"' || d.Policy[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, d.Policy[i])
	}
	b = append(b, `";r=`...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(t), 10)
	return string(b)
}

func seenPolicy(ds Decisions, name string) bool {
	for _, d := range ds {
		if d.Policy == name {
			return true
		}
	}
	return false
}

// ceilSeconds rounds d up to whole seconds: a client told to wait never
// comes back early.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// sfString reports whether s can be an RFC 8941 sf-string: printable ASCII
// only. Limiter names always can; a hand-made Decision might not.
func sfString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// writeSFString writes s as an sf-string: quoted, with " and \ escaped.
func writeSFString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}
