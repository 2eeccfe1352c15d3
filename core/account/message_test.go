package account

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testFrom  = "authkit <no-reply@example.com>"
	testToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
)

var testDate = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// parse reads a formatted message with net/mail, as a mail client would.
func parse(t *testing.T, raw []byte) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

func TestFormat(t *testing.T) {
	m := TokenMessage(KindPasswordReset, "alice@example.com", "alice", testToken, 15*time.Minute, "")
	raw, err := Format(m, testFrom, testDate)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("a line does not end in CRLF:\n%q", raw)
	}
	msg, body := parse(t, raw)
	for name, want := range map[string]string{
		"From": `"authkit" <no-reply@example.com>`, "To": "alice@example.com", "Subject": "Reset your password",
		"Date": "Sat, 28 Nov 2026 12:00:00 +0000", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
		"X-Authkit-Kind": "password_reset",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !regexp.MustCompile(`^<[0-9a-f]{24}@example\.com>$`).MatchString(msg.Header.Get("Message-ID")) {
		t.Errorf("Message-ID = %q", msg.Header.Get("Message-ID"))
	}
	if !strings.Contains(body, "\r\nToken: "+testToken+"\r\n") {
		t.Errorf("body has no line Token: <token>:\n%s", body)
	}
	if !strings.Contains(body, "15 minutes") {
		t.Errorf("body does not say how long the token works:\n%s", body)
	}

	m.Subject = "Réinitialiser"
	raw, err = Format(m, testFrom, testDate)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ = parse(t, raw)
	if got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || got != "Réinitialiser" {
		t.Errorf("a UTF-8 subject reads back as %q, %v", got, err)
	}
}

// Nothing in a Message can add a header or a recipient.
func TestFormatHostile(t *testing.T) {
	good := Message{Kind: KindNewDevice, To: "alice@example.com", Subject: "s", Text: "t"}
	for _, tt := range []struct {
		name string
		edit func(*Message)
		from string
	}{
		{"CRLF in the recipient", func(m *Message) { m.To = "alice@example.com\r\nBcc: eve@evil.example" }, testFrom},
		{"two recipients", func(m *Message) { m.To = "alice@example.com, eve@evil.example" }, testFrom},
		{"a display name in the recipient", func(m *Message) { m.To = "Eve <eve@evil.example>" }, testFrom},
		{"CRLF in the subject", func(m *Message) { m.Subject = "hi\r\nBcc: eve@evil.example" }, testFrom},
		{"LF in the subject", func(m *Message) { m.Subject = "hi\nBcc: eve@evil.example" }, testFrom},
		{"a colon in the kind", func(m *Message) { m.Kind = "x\r\nBcc: eve" }, testFrom},
		{"a body line over 998 bytes", func(m *Message) { m.Text = strings.Repeat("x", 999) }, testFrom},
		{"a bad sender", func(*Message) {}, "not an address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			tt.edit(&m)
			if raw, err := Format(m, tt.from, testDate); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Format = %v\n%s; want ErrInvalidMessage", err, raw)
			}
		})
	}
	// A body line that looks like a header stays in the body.
	m := good
	m.Text = "line\r\n\r\nBcc: eve@evil.example\nalso\r"
	raw, err := Format(m, testFrom, testDate)
	if err != nil {
		t.Fatal(err)
	}
	msg, body := parse(t, raw)
	if msg.Header.Get("Bcc") != "" || !strings.Contains(body, "Bcc: eve@evil.example\r\nalso\r\n") {
		t.Errorf("headers %v, body %q", msg.Header, body)
	}
}

func TestTokenMessageLink(t *testing.T) {
	m := TokenMessage(KindEmailVerification, "alice@example.com", "alice", testToken, 24*time.Hour, "https://app.example/verify")
	if m.Kind != KindEmailVerification || m.Token != testToken || !strings.Contains(m.Text, "24 hours") {
		t.Errorf("message = %+v", m)
	}
	link := regexp.MustCompile(`https://\S+`).FindString(m.Text)
	if link != "https://app.example/verify#token="+testToken {
		t.Errorf("link = %q, want the token in the fragment only", link)
	}
	for _, bad := range []Link{"/verify", "ftp://app.example/v", "https://app.example/v?x=1", "https://app.example/v#a", "https://u:p@app.example/v", "https:///v"} {
		if err := CheckLink(bad); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("CheckLink(%q) = %v, want ErrInvalidConfig", bad, err)
		}
	}
	for _, ok := range []Link{"", "https://app.example/reset", "http://127.0.0.1:8080/reset"} {
		if err := CheckLink(ok); err != nil {
			t.Errorf("CheckLink(%q) = %v", ok, err)
		}
	}
}

// Notices never carry a token, whatever they are given.
func TestNotices(t *testing.T) {
	d := NoticeDetails{Time: testDate, IP: "192.0.2.1", UserAgent: "Firefox\r\nBcc: x", NewEmail: "bob@example.org"}
	seen := map[string]bool{}
	for _, k := range []Kind{KindPasswordChanged, KindPasswordWasReset, KindEmailChanged, KindMFAEnabled, KindMFADisabled, KindRecoveryCodesReplaced, KindNewDevice} {
		m := Notice(k, "alice@example.com", "alice", d)
		if m.Kind != k || m.Token != "" || m.Subject == "" || seen[m.Subject] {
			t.Errorf("%s: %+v", k, m)
		}
		seen[m.Subject] = true
		if _, err := Format(m, testFrom, testDate); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if strings.Contains(m.Text, "\r\nBcc") || !strings.Contains(m.Text, "192.0.2.1") {
			t.Errorf("%s: client text not kept to one line, or the IP missing:\n%s", k, m.Text)
		}
	}
	if m := Notice(KindEmailChanged, "alice@example.com", "alice", d); strings.Contains(m.Text, "bob@") || !strings.Contains(m.Text, "b***@example.org") {
		t.Errorf("email change notice to the old address shows the new one unmasked or not at all:\n%s", m.Text)
	}
}

func TestLogMailerRedacts(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogMailer(slog.New(slog.NewTextHandler(&buf, nil)))
	m := TokenMessage(KindPasswordReset, "alice@example.com", "alice", testToken, 15*time.Minute, "https://app.example/reset")
	if err := l.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, testToken) || strings.Contains(out, testToken[:20]) {
		t.Errorf("the token reached the log:\n%s", out)
	}
	for _, want := range []string{"kind=password_reset", "to=alice@example.com", "username=alice", "[REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestDirMailer(t *testing.T) {
	dir := t.TempDir()
	now := testDate
	d, err := NewDirMailer(dir, testFrom, WithDirClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	m := TokenMessage(KindPasswordReset, "alice@example.com", "alice", testToken, 15*time.Minute, "")
	// Three messages in one nanosecond: three files.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := d.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := d.Send(context.Background(), Message{To: "x@example.com", Username: "../../etc/passwd", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, _ := e.Info()
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (the file holds a token)", e.Name(), perm)
		}
	}
	n := now.UnixNano()
	name := func(i int64, user string) string { return strconv.FormatInt(n+i, 10) + "-" + user + ".eml" }
	want := []string{name(0, ".._.._etc_passwd"), name(0, "alice"), name(1, "alice"), name(2, "alice")}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("files %q, want %q", names, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, want[1]))
	if err != nil {
		t.Fatal(err)
	}
	msg, body := parse(t, raw)
	if msg.Header.Get("To") != "alice@example.com" || !regexp.MustCompile(`(?m)^Token: `+regexp.QuoteMeta(testToken)+"\r$").MatchString(body) {
		t.Errorf("file:\n%s", raw)
	}
	if err := d.Send(context.Background(), Message{To: "bad", Username: "alice"}); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("a bad recipient: %v", err)
	}
	if _, err := NewDirMailer(filepath.Join(dir, "missing"), testFrom); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := NewDirMailer(dir, "bad sender"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a bad sender: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(context.Background(), m); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a directory gone: %v, want ErrUnavailable", err)
	}
}
