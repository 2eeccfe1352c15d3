package account

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DirMailer writes each message as one RFC 5322 file,
// DIR/<unix-nanos>-<username>.eml, for tests and demos: a test reads the
// token from the file instead of a mailbox. Files are written whole under
// a temporary name and renamed, so a reader never sees half a message, and
// readable by the owner only (0600): they hold tokens.
type DirMailer struct {
	dir, from string
	now       func() time.Time
}

// DirOption configures NewDirMailer.
type DirOption func(*DirMailer)

// WithDirClock sets the clock that dates messages and names files. Default:
// time.Now.
func WithDirClock(now func() time.Time) DirOption { return func(d *DirMailer) { d.now = now } }

// NewDirMailer returns a DirMailer writing into dir (which must exist)
// as from (an RFC 5322 address, "authkit <no-reply@example.com>").
func NewDirMailer(dir, from string, opts ...DirOption) (*DirMailer, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, invalidConfig("mail directory %q is not a directory", dir)
	}
	if _, err := Format(Message{To: "check@example.com"}, from, time.Time{}); err != nil {
		return nil, invalidConfig("sender %q does not parse", from)
	}
	d := &DirMailer{dir: dir, from: from, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if d.now == nil {
		return nil, invalidConfig("WithDirClock(nil)")
	}
	return d, nil
}

// Send implements Mailer.
func (d *DirMailer) Send(_ context.Context, m Message) error {
	now := d.now()
	msg, err := Format(m, d.from, now)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.dir, ".writing-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer os.Remove(tmp.Name()) // after a successful link, only the temporary name goes
	if _, err := tmp.Write(msg); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// os.Link never replaces an existing file: two messages in one
	// nanosecond take the next free name.
	n := now.UnixNano()
	for range 1000 {
		err = os.Link(tmp.Name(), filepath.Join(d.dir, strconv.FormatInt(n, 10)+"-"+fileSafe(m.Username)+".eml"))
		if !errors.Is(err, fs.ErrExist) {
			break
		}
		n++
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// fileSafe keeps a username to [A-Za-z0-9._@+-] for a file name ('_' for
// anything else), at most 128 bytes; "" becomes "_".
func fileSafe(s string) string {
	b := make([]byte, 0, min(len(s), 128))
	for i := 0; i < len(s) && len(b) < 128; i++ {
		if c := s[i]; isAlnum(c) || c == '.' || c == '_' || c == '@' || c == '+' || c == '-' {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
