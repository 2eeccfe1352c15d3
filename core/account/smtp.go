package account

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"time"
)

// SMTPMailer sends messages through a mail server (submission, port 587)
// with net/smtp. STARTTLS is required: a server that does not offer it, or
// whose certificate does not verify for its host name, gets nothing — no
// message and no password (ErrNoSTARTTLS, or the TLS error). Each message
// is one connection.
type SMTPMailer struct {
	addr, host, from string
	auth             smtp.Auth
	tls              *tls.Config
	timeout          time.Duration
	helo             string
}

// SMTPOption configures NewSMTPMailer.
type SMTPOption func(*SMTPMailer) error

// WithSMTPAuth signs in with PLAIN after STARTTLS. Default: no
// authentication (a relay that trusts the network).
func WithSMTPAuth(username, password string) SMTPOption {
	return func(s *SMTPMailer) error {
		if username == "" {
			return invalidConfig("WithSMTPAuth: empty username")
		}
		s.auth = smtp.PlainAuth("", username, password, s.host)
		return nil
	}
}

// WithSMTPTLSConfig sets the TLS configuration of STARTTLS (its RootCAs,
// say, for a private CA). ServerName defaults to the host of addr, and
// MinVersion is at least TLS 1.2. Default: the system roots.
func WithSMTPTLSConfig(c *tls.Config) SMTPOption {
	return func(s *SMTPMailer) error {
		if c == nil {
			return invalidConfig("WithSMTPTLSConfig(nil)")
		}
		s.tls = c.Clone()
		return nil
	}
}

// WithSMTPTimeout bounds one message's whole conversation with the
// server. Default: 30s.
func WithSMTPTimeout(d time.Duration) SMTPOption {
	return func(s *SMTPMailer) error {
		if d <= 0 {
			return invalidConfig("WithSMTPTimeout(%v): must be positive", d)
		}
		s.timeout = d
		return nil
	}
}

// NewSMTPMailer returns an SMTPMailer for the server at addr ("host:port")
// sending as from (an RFC 5322 address).
func NewSMTPMailer(addr, from string, opts ...SMTPOption) (*SMTPMailer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return nil, invalidConfig("SMTP address %q: want host:port", addr)
	}
	if _, err := Format(Message{To: "check@example.com"}, from, time.Time{}); err != nil {
		return nil, invalidConfig("sender %q does not parse", from)
	}
	s := &SMTPMailer{addr: addr, host: host, from: from, timeout: 30 * time.Second, helo: "localhost"}
	for _, o := range opts {
		if o == nil {
			return nil, invalidConfig("nil option")
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.tls == nil {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = host
	}
	s.tls.MinVersion = max(s.tls.MinVersion, tls.VersionTLS12)
	return s, nil
}

// Send implements Mailer.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	msg, err := Format(m, s.from, time.Now())
	if err != nil {
		return err
	}
	if err := s.send(ctx, m.To, msg); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

func (s *SMTPMailer) send(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // a cancelled caller ends the conversation
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(s.helo); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return ErrNoSTARTTLS
	}
	if err := c.StartTLS(s.tls); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return err
		}
	}
	from, err := mailAddress(s.from)
	if err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
