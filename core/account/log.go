package account

import (
	"context"
	"log/slog"
)

// LogMailer writes each message to a log/slog logger instead of sending
// it, with the token replaced by [REDACTED] — for development, where no
// mail server is set up; the token itself never reaches the log.
type LogMailer struct{ logger *slog.Logger }

// NewLogMailer returns a LogMailer writing to logger; nil means
// slog.Default() at the time of each message.
func NewLogMailer(logger *slog.Logger) *LogMailer { return &LogMailer{logger: logger} }

// Send implements Mailer.
func (l *LogMailer) Send(ctx context.Context, m Message) error {
	logger := l.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "mail (not sent: no mailer configured)",
		slog.String("kind", string(m.Kind)), slog.String("to", m.To), slog.String("username", m.Username),
		slog.String("subject", m.Subject), slog.String("text", m.Redacted()))
	return nil
}
