package main

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/authkit-go/authkit/core/account"
)

// mailboxSize is how many messages the demo mailbox keeps; older ones go.
const mailboxSize = 100

// mail is one message the demo mailbox received.
type mail struct {
	account.Message
	At time.Time
}

// mailbox is the demo's mailer: it keeps the latest messages in memory,
// tokens included, for the /demo/mail page. A DEMO CONVENIENCE: a real
// deployment sends mail to its recipients (-smtp-addr) and never shows it
// to anyone else.
type mailbox struct {
	mu   sync.Mutex
	mail []mail
	now  func() time.Time
}

func newMailbox() *mailbox { return &mailbox{now: time.Now} }

// Send implements account.Mailer.
func (b *mailbox) Send(_ context.Context, m account.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mail = append(b.mail, mail{Message: m, At: b.now()})
	if n := len(b.mail) - mailboxSize; n > 0 {
		b.mail = slices.Delete(b.mail, 0, n)
	}
	return nil
}

// list returns the messages, newest first.
func (b *mailbox) list() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.mail)
	slices.Reverse(out)
	return out
}
