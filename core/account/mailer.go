package account

import (
	"context"
	"strings"
)

// Kind names what a message is about. Kinds are stable strings; every
// message carries its kind in an X-Authkit-Kind header field.
type Kind string

// The messages the account flows send. The first two carry a token; the
// others are security notices, which never do.
const (
	KindPasswordReset         Kind = "password_reset"
	KindEmailVerification     Kind = "email_verification"
	KindPasswordChanged       Kind = "password_changed"
	KindPasswordWasReset      Kind = "password_was_reset"
	KindEmailChanged          Kind = "email_changed"
	KindMFAEnabled            Kind = "mfa_enabled"
	KindMFADisabled           Kind = "mfa_disabled"
	KindRecoveryCodesReplaced Kind = "recovery_codes_replaced"
	KindNewDevice             Kind = "new_device"
)

// Message is one mail to one account's address.
type Message struct {
	// Kind says what it is about.
	Kind Kind
	// To is the recipient's address (ParseEmail's form).
	To string
	// Username names the account it concerns; DirMailer puts it in the
	// file name.
	Username string
	// Subject is the subject line (one line, UTF-8).
	Subject string
	// Text is the plain-text body. It holds Token, if there is one.
	Text string
	// Token is the secret Text carries ("" for a notice). Mailers that
	// write anywhere but to the recipient (LogMailer) replace it with
	// [REDACTED]; nothing else in a Message is a secret.
	Token string
}

// Redacted returns m.Text with the token replaced by [REDACTED], for logs.
func (m Message) Redacted() string {
	if m.Token == "" {
		return m.Text
	}
	return strings.ReplaceAll(m.Text, m.Token, "[REDACTED]")
}

// Mailer delivers messages: LogMailer (development), DirMailer (one file
// per message, for tests and demos), SMTPMailer (a mail server, STARTTLS
// required), or the application's own (a mail API). Implementations must be
// safe for concurrent use. The account flows send through an Outbox, so a
// slow Mailer never holds up a request.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// MailerFunc adapts a function to a Mailer.
type MailerFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f MailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
