package account

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Link is where a message's token is used: a page of the application that
// reads the token from the URL's fragment (#token=...) and posts it. A
// fragment never reaches a server, so the token cannot land in an access
// log, a proxy's log or a Referer. The empty Link sends no link; the
// message then tells the user to paste the token.
type Link string

// url returns the link for tok, "" when l is empty. l must be an absolute
// http(s) URL without a fragment (CheckLink).
func (l Link) url(tok string) string {
	if l == "" {
		return ""
	}
	return string(l) + "#token=" + url.QueryEscape(tok)
}

// CheckLink reports a Link that cannot carry a token safely: not an
// absolute http or https URL, or one that already has a fragment (the token
// would not be the page's to read) or a query (a token must never be put
// there). Check links at start-up.
func CheckLink(l Link) error {
	if l == "" {
		return nil
	}
	u, err := url.Parse(string(l))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return invalidConfig("link %q: want an absolute http(s) URL without user info", l)
	}
	if strings.ContainsAny(string(l), "#?") {
		return invalidConfig("link %q: no query or fragment (the token goes into the fragment)", l)
	}
	return nil
}

// TokenMessage returns the message that mails tok, a password reset
// (KindPasswordReset) or email verification (KindEmailVerification)
// token valid for ttl, to the account username at to. The body holds a line
// "Token: <tok>" and, when link is set, link#token=<tok>.
func TokenMessage(kind Kind, to, username, tok string, ttl time.Duration, link Link) Message {
	var subject, what string
	switch kind {
	case KindPasswordReset:
		subject = "Reset your password"
		what = "Someone (we hope you) asked to reset the password of your account " + username + ".\r\n" +
			"If it was not you, ignore this message: your password stays as it is."
	default:
		kind = KindEmailVerification
		subject = "Confirm your email address"
		what = "Confirm that this address belongs to the account " + username + "."
	}
	var b strings.Builder
	b.WriteString(what + "\r\n\r\n")
	if u := link.url(tok); u != "" {
		b.WriteString("Open this link:\r\n" + u + "\r\n\r\nor use the token below.\r\n\r\n")
	}
	fmt.Fprintf(&b, "Token: %s\r\n\r\nIt works once, for %s.\r\n", tok, humanDuration(ttl))
	return Message{Kind: kind, To: to, Username: username, Subject: subject, Text: b.String(), Token: tok}
}

// NoticeDetails is what a security notice may tell about the change it
// reports. Nothing in it is a secret.
type NoticeDetails struct {
	// Time is when it happened.
	Time time.Time
	// IP and UserAgent describe the request that made the change (a new
	// device's sign-in, a password change).
	IP, UserAgent string
	// NewEmail is the new address of an email change, sent to the old one
	// (masked: "a***@example.com").
	NewEmail string
}

// Notice returns the security notice of kind (KindPasswordChanged,
// KindPasswordWasReset, KindEmailChanged, KindMFAEnabled, KindMFADisabled,
// KindRecoveryCodesReplaced, KindNewDevice) for the account username at
// to. A notice never carries a token or a secret: it only tells the user
// what happened, so that someone who did not do it knows to act.
func Notice(kind Kind, to, username string, d NoticeDetails) Message {
	var subject, what string
	switch kind {
	case KindPasswordChanged:
		subject, what = "Your password was changed", "The password of your account "+username+" was changed. Your other sign-ins have ended."
	case KindPasswordWasReset:
		subject, what = "Your password was reset", "The password of your account "+username+" was reset. Every sign-in has ended."
	case KindEmailChanged:
		subject, what = "Your email address was changed", "The email address of your account "+username+" was changed"
		if d.NewEmail != "" {
			what += " to " + MaskEmail(d.NewEmail)
		}
		what += ". Messages about the account go there from now on."
	case KindMFAEnabled:
		subject, what = "Two-factor sign-in turned on", "Two-factor sign-in was turned on for your account "+username+"."
	case KindMFADisabled:
		subject, what = "Two-factor sign-in turned off", "Two-factor sign-in was turned off for your account "+username+"."
	case KindRecoveryCodesReplaced:
		subject, what = "New recovery codes", "New recovery codes were made for your account "+username+"; the old ones no longer work."
	default:
		kind = KindNewDevice
		subject, what = "New sign-in to your account", "Your account "+username+" was signed in to from a device not seen before."
	}
	var b strings.Builder
	b.WriteString(what + "\r\n\r\n")
	if !d.Time.IsZero() {
		b.WriteString("When: " + d.Time.UTC().Format(time.RFC1123) + "\r\n")
	}
	if d.IP != "" {
		b.WriteString("From: " + oneLine(d.IP) + "\r\n")
	}
	if d.UserAgent != "" {
		b.WriteString("Device: " + oneLine(d.UserAgent) + "\r\n")
	}
	b.WriteString("\r\nIf this was not you, reset your password now and sign out everywhere.\r\n")
	return Message{Kind: kind, To: to, Username: username, Subject: subject, Text: b.String()}
}

// MaskEmail shows an address without giving it away: the first character
// of the local part, then "***", and the domain.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 1 {
		return "***"
	}
	return addr[:1] + "***" + addr[at:]
}

// oneLine keeps client text (a User-Agent) to printable ASCII on one line,
// at most 200 bytes.
func oneLine(s string) string {
	b := make([]byte, 0, min(len(s), 200))
	for i := 0; i < len(s) && len(b) < 200; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

// humanDuration says d in words: "15 minutes", "24 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}
