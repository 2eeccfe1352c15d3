// Package audit carries authentication events from every authkit feature to a
// sink. The default sink writes one structured log/slog record per event.
//
// Events never carry secrets: no password, token, session id, TOTP code or
// recovery code is ever placed in an Event, and the fields below are the only
// ones a feature fills in. Subject is a user identifier, never a credential.
package audit

import (
	"context"
	"log/slog"
	"time"
)

// Kind names what happened. Kinds are stable strings meant for alerting rules.
type Kind string

// The event kinds authkit emits.
const (
	LoginSucceeded           Kind = "login.succeeded"
	LoginFailed              Kind = "login.failed"
	TokenIssued              Kind = "token.issued"
	TokenRefreshed           Kind = "token.refreshed"
	TokenRevoked             Kind = "token.revoked"
	TokenReuseDetected       Kind = "token.reuse_detected"
	SessionCreated           Kind = "session.created"
	SessionRotated           Kind = "session.rotated"
	SessionDestroyed         Kind = "session.destroyed"
	MFAEnrollStarted         Kind = "mfa.enroll_started"
	MFAEnrolled              Kind = "mfa.enrolled"
	MFAVerified              Kind = "mfa.verified"
	MFAFailed                Kind = "mfa.failed"
	MFALocked                Kind = "mfa.locked"
	MFADisabled              Kind = "mfa.disabled"
	RecoveryCodeUsed         Kind = "mfa.recovery_code_used"
	RecoveryCodesRegenerated Kind = "mfa.recovery_codes_regenerated"
	RateLimitHit             Kind = "ratelimit.hit"
	PasswordRehashed         Kind = "password.rehashed"
	PasswordRejected         Kind = "password.rejected"
	CrossOriginRejected      Kind = "csrf.rejected"
	OAuthFailed              Kind = "oauth.failed"
	PasswordResetRequested   Kind = "password.reset_requested"
	PasswordReset            Kind = "password.reset"
	PasswordChanged          Kind = "password.changed"
	EmailVerificationSent    Kind = "email.verification_sent"
	EmailVerified            Kind = "email.verified"
	EmailChanged             Kind = "email.changed"
)

// Event is one authentication event.
type Event struct {
	// Kind says what happened.
	Kind Kind
	// Time is when it happened; Emit fills it in when zero.
	Time time.Time
	// Subject identifies the user concerned (user id or name), when known.
	Subject string
	// IP is the client address as the guard saw it, when known.
	IP string
	// UserAgent is the client's User-Agent header, when known.
	UserAgent string
	// Reason is a short machine-readable cause, such as "bad_password" or
	// "expired". It never holds a secret.
	Reason string
	// Family identifies a refresh-token family or a session by a
	// non-secret handle (a jti or a hash prefix), never by the secret itself.
	Family string
	// Count is how many occurrences the event stands for when it sums up a
	// burst, such as replays of one refresh family (0 when not counted).
	Count int64
	// Limit names the rate limit (its policy name) a RateLimitHit concerns.
	// core/ratelimit coalesces those: one event per key per window of the
	// limit, with Limit, Key and Count set.
	Limit string
	// Key identifies a rate-limit key by its kind and a keyed hash of its
	// value ("account:Qm9fZXhhbXBsZQ"), never by the value: a username can
	// be a password typed into the wrong field.
	Key string
}

// Sink receives events. Implementations must be safe for concurrent use and
// should not block the request for long.
type Sink interface {
	Emit(ctx context.Context, e Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, e Event)

// Emit calls f(ctx, e).
func (f SinkFunc) Emit(ctx context.Context, e Event) { f(ctx, e) }

// Discard is a Sink that drops every event.
var Discard Sink = SinkFunc(func(context.Context, Event) {})

// SlogSink writes each event as one record on a slog.Logger, at Info level for
// normal events and Warn for failures and attacks.
type SlogSink struct {
	logger *slog.Logger
	now    func() time.Time
}

// NewSlogSink returns a sink writing to logger; a nil logger means
// slog.Default() at the time of each event.
func NewSlogSink(logger *slog.Logger) *SlogSink {
	return &SlogSink{logger: logger, now: time.Now}
}

// Default returns the sink features use when none is configured: a SlogSink
// on slog.Default().
func Default() Sink { return NewSlogSink(nil) }

// Emit writes e as one structured record. Empty fields are left out.
func (s *SlogSink) Emit(ctx context.Context, e Event) {
	logger := s.logger
	if logger == nil {
		logger = slog.Default()
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("event", string(e.Kind)), slog.Time("at", e.Time))
	for _, f := range [...]struct{ k, v string }{
		{"subject", e.Subject}, {"ip", e.IP}, {"user_agent", e.UserAgent},
		{"reason", e.Reason}, {"family", e.Family}, {"limit", e.Limit}, {"key", e.Key},
	} {
		if f.v != "" {
			attrs = append(attrs, slog.String(f.k, f.v))
		}
	}
	if e.Count > 0 {
		attrs = append(attrs, slog.Int64("count", e.Count))
	}
	logger.LogAttrs(ctx, e.Kind.Level(), "authkit", attrs...)
}

// Level is the slog level an event of this kind is logged at: Warn for
// failures, rejections and detected attacks, Info otherwise.
func (k Kind) Level() slog.Level {
	switch k {
	case LoginFailed, TokenReuseDetected, MFAFailed, MFALocked, RateLimitHit, CrossOriginRejected, PasswordRejected, OAuthFailed:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
