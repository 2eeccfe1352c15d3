package account

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// maxLine is RFC 5322's limit on a line, without its CRLF.
const maxLine = 998

// Format renders m as an RFC 5322 message from from, dated date: From,
// To, Subject (RFC 2047 encoded when not ASCII), Date, a random Message-ID
// at the sender's domain, MIME-Version, a text/plain UTF-8 body sent as
// 8bit, and X-Authkit-Kind; every line ends in CRLF. A header value with a
// line break, an address ParseEmail refuses or a body line over 998 bytes
// is ErrInvalidMessage: nothing a user typed can add a header or a
// recipient.
func Format(m Message, from string, date time.Time) ([]byte, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: the sender %q does not parse", ErrInvalidMessage, from)
	}
	if _, err := ParseEmail(m.To); err != nil {
		return nil, fmt.Errorf("%w: the recipient: %w", ErrInvalidMessage, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(string(m.Kind), "\r\n: ") {
		return nil, fmt.Errorf("%w: a line break in the subject or kind", ErrInvalidMessage)
	}
	body := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(body, "\n")
	for _, l := range lines {
		if len(l) > maxLine {
			return nil, fmt.Errorf("%w: a body line over %d bytes", ErrInvalidMessage, maxLine)
		}
	}
	domain := fromAddr.Address[strings.LastIndexByte(fromAddr.Address, '@')+1:]
	var id [12]byte
	_, _ = rand.Read(id[:])

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", fromAddr.String())
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	if m.Kind != "" {
		header("X-Authkit-Kind", string(m.Kind))
	}
	b.WriteString("\r\n")
	b.WriteString(strings.Join(lines, "\r\n"))
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// mailAddress is the bare address of an RFC 5322 address with a display
// name.
func mailAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: the sender %q does not parse", ErrInvalidMessage, s)
	}
	return a.Address, nil
}
