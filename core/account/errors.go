package account

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

var (
	// ErrInvalidEmail reports an email address ParseEmail refuses. It wraps
	// authkit.ErrInvalidRequest: guard.ProblemFor answers 400.
	ErrInvalidEmail = fmt.Errorf("account: invalid email address: %w", authkit.ErrInvalidRequest)
	// ErrInvalidMessage reports a Message that cannot be sent as it is: an
	// address that does not parse, a subject with a line break, a body line
	// longer than RFC 5322 allows. It wraps authkit.ErrInvalidRequest.
	ErrInvalidMessage = fmt.Errorf("account: invalid message: %w", authkit.ErrInvalidRequest)
	// ErrUnavailable reports that a message could not be delivered: the
	// mail server or the directory failed. It wraps authkit.ErrUnavailable.
	ErrUnavailable = fmt.Errorf("account: mail delivery failed: %w", authkit.ErrUnavailable)
	// ErrNoSTARTTLS reports an SMTP server that does not offer STARTTLS:
	// the SMTPMailer never sends a message, or a password, in clear. It
	// wraps ErrUnavailable.
	ErrNoSTARTTLS = fmt.Errorf("account: the SMTP server does not offer STARTTLS: %w", ErrUnavailable)
	// ErrOutboxFull reports a job the Outbox had no room for; it was
	// dropped. It wraps ErrUnavailable.
	ErrOutboxFull = fmt.Errorf("account: outbox full: %w", ErrUnavailable)
	// ErrOutboxClosed reports a job given to an Outbox after Close.
	ErrOutboxClosed = errors.New("account: outbox closed")
	// ErrInvalidConfig reports a constructor argument or option that
	// cannot be applied. It wraps authkit.ErrInvalidConfig.
	ErrInvalidConfig = fmt.Errorf("account: %w", authkit.ErrInvalidConfig)
)

func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
