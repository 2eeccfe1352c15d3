package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/authkit"
)

func ExampleParseEmail() {
	for _, in := range []string{"Alice@Example.COM", "Alice <alice@example.com>", "alice@example.com\r\nBcc: eve@evil.example"} {
		addr, err := account.ParseEmail(in)
		fmt.Printf("%q %v\n", addr, errors.Is(err, authkit.ErrInvalidRequest))
	}
	// Output:
	// "Alice@example.com" false
	// "" true
	// "" true
}

// A reset token mailed with a link: the token rides in the fragment,
// which no browser sends to a server.
func ExampleTokenMessage() {
	m := account.TokenMessage(account.KindPasswordReset, "alice@example.com", "alice", "TOKEN", 15*time.Minute, "https://app.example/reset")
	for line := range strings.SplitSeq(m.Text, "\r\n") {
		if strings.Contains(line, "TOKEN") {
			fmt.Println(line)
		}
	}
	fmt.Println(m.Redacted() == strings.ReplaceAll(m.Text, "TOKEN", "[REDACTED]"))
	// Output:
	// https://app.example/reset#token=TOKEN
	// Token: TOKEN
	// true
}

// Mail leaves the request through an Outbox, so a slow mail server never
// holds up the answer.
func ExampleOutbox() {
	outbox, err := account.NewOutbox()
	if err != nil {
		panic(err)
	}
	defer outbox.Close(context.Background())
	mailer := account.MailerFunc(func(_ context.Context, m account.Message) error {
		fmt.Println("to", m.To+":", m.Subject)
		return nil
	})
	_ = outbox.Send(mailer, account.Notice(account.KindPasswordChanged, "alice@example.com", "alice", account.NoticeDetails{}))
	_ = outbox.Flush(context.Background())
	// Output: to alice@example.com: Your password was changed
}
