package account

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server speaking the submission dialogue over
// a real socket, with STARTTLS unless told not to offer it. It records what
// the client sent.
type smtpServer struct {
	addr     string
	noTLS    bool
	tls      *tls.Config
	mu       sync.Mutex
	commands []string // every command line, with AUTH's secret kept
	data     []string // each message's DATA
	plainTxt []string // commands received before TLS
}

func selfSigned(t *testing.T, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func startSMTP(t *testing.T, noTLS bool, cert tls.Certificate) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: ln.Addr().String(), noTLS: noTLS, tls: &tls.Config{Certificates: []tls.Certificate{cert}}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	w := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }
	w("220 test ESMTP")
	secure := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.commands = append(s.commands, line)
		if !secure {
			s.plainTxt = append(s.plainTxt, line)
		}
		s.mu.Unlock()
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			w("250-test")
			if !secure && !s.noTLS {
				w("250 STARTTLS")
			} else {
				w("250 AUTH PLAIN")
			}
		case "STARTTLS":
			w("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, secure = tc, bufio.NewReader(tc), true
			w = func(line string) { _, _ = tc.Write([]byte(line + "\r\n")) }
		case "AUTH":
			w("235 ok")
		case "MAIL", "RCPT":
			w("250 ok")
		case "DATA":
			w("354 go")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			w("250 queued")
		case "QUIT":
			w("221 bye")
			return
		default:
			w("502 no")
		}
	}
}

func TestSMTPMailer(t *testing.T) {
	cert, pool := selfSigned(t, "127.0.0.1")
	srv := startSMTP(t, false, cert)
	m, err := NewSMTPMailer(srv.addr, testFrom, WithSMTPAuth("mailer", "s3cret-pw"), WithSMTPTLSConfig(&tls.Config{RootCAs: pool}), WithSMTPTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	msg := TokenMessage(KindPasswordReset, "alice@example.com", "alice", testToken, 15*time.Minute, "")
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.data) != 1 || !strings.Contains(srv.data[0], "Token: "+testToken) || !strings.Contains(srv.data[0], "To: alice@example.com") {
		t.Fatalf("data = %q", srv.data)
	}
	cmds := strings.Join(srv.commands, "\n")
	if !strings.Contains(cmds, "MAIL FROM:<no-reply@example.com>") || !strings.Contains(cmds, "RCPT TO:<alice@example.com>") {
		t.Errorf("commands:\n%s", cmds)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00mailer\x00s3cret-pw"))
	for _, l := range srv.plainTxt {
		if strings.Contains(l, auth) || strings.HasPrefix(l, "MAIL") || strings.HasPrefix(l, "AUTH") {
			t.Errorf("sent before STARTTLS: %q", l)
		}
	}
	if !strings.Contains(cmds, "AUTH PLAIN "+auth) {
		t.Errorf("no PLAIN authentication after STARTTLS:\n%s", cmds)
	}
}

// Without STARTTLS, or with a certificate that does not verify, nothing is
// sent: no password, no message.
func TestSMTPMailerRequiresTLS(t *testing.T) {
	cert, pool := selfSigned(t, "127.0.0.1")
	msg := TokenMessage(KindPasswordReset, "alice@example.com", "alice", testToken, 15*time.Minute, "")
	for _, tt := range []struct {
		name    string
		noTLS   bool
		roots   *x509.CertPool
		wantErr error
	}{
		{"no STARTTLS offered", true, pool, ErrNoSTARTTLS},
		{"an untrusted certificate", false, x509.NewCertPool(), ErrUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.noTLS, cert)
			m, err := NewSMTPMailer(srv.addr, testFrom, WithSMTPAuth("mailer", "s3cret-pw"), WithSMTPTLSConfig(&tls.Config{RootCAs: tt.roots}))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Send(context.Background(), msg); !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			for _, c := range srv.commands {
				if v := strings.ToUpper(strings.Fields(c + " x")[0]); v == "AUTH" || v == "MAIL" || v == "DATA" {
					t.Errorf("sent %q", c)
				}
			}
			if len(srv.data) != 0 {
				t.Errorf("a message was delivered")
			}
		})
	}
}

func TestSMTPMailerConfig(t *testing.T) {
	for _, tt := range []struct {
		name, addr, from string
		opts             []SMTPOption
	}{
		{"no port", "smtp.example.com", testFrom, nil},
		{"no host", ":587", testFrom, nil},
		{"bad sender", "smtp.example.com:587", "nobody", nil},
		{"empty user", "smtp.example.com:587", testFrom, []SMTPOption{WithSMTPAuth("", "x")}},
		{"nil TLS config", "smtp.example.com:587", testFrom, []SMTPOption{WithSMTPTLSConfig(nil)}},
		{"zero timeout", "smtp.example.com:587", testFrom, []SMTPOption{WithSMTPTimeout(0)}},
		{"nil option", "smtp.example.com:587", testFrom, []SMTPOption{nil}},
	} {
		if _, err := NewSMTPMailer(tt.addr, tt.from, tt.opts...); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tt.name, err)
		}
	}
	// A server that does not answer in time: the caller's deadline ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stall := make(chan struct{})
	defer close(stall)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			<-stall // says nothing until the test ends
		}
	}()
	m, err := NewSMTPMailer(ln.Addr().String(), testFrom)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := m.Send(ctx, Notice(KindNewDevice, "alice@example.com", "alice", NoticeDetails{})); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a silent server: %v, want ErrUnavailable", err)
	}
}
