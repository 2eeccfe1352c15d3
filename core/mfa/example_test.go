package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/mfa"
)

// exampleNow is a fixed time, so the examples print the same every run.
var exampleNow = time.Date(2026, 3, 1, 9, 0, 10, 0, time.UTC)

func exampleManager(opts ...mfa.Option) *mfa.Manager {
	keys, err := mfa.NewKeyring(mfa.Key{ID: "2026-03", Secret: bytes.Repeat([]byte{7}, mfa.KeySize)})
	if err != nil {
		panic(err)
	}
	opts = append([]mfa.Option{mfa.WithClock(func() time.Time { return exampleNow }), mfa.WithAudit(audit.Discard)}, opts...)
	m, err := mfa.New("Example Co", mfa.NewMemoryStore(), keys, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

// The whole life of a factor: enrol, confirm with a code from the user's
// app, sign in, and a replay refused.
func Example() {
	ctx := context.Background()
	m := exampleManager()

	e, err := m.Enroll(ctx, "user-42", "alice@example.com")
	if err != nil {
		panic(err)
	}
	// The user scans e.QRCode; their app computes the code.
	secret, _ := mfa.ParseSecret(e.Secret)
	appCode, _ := m.Params().Code(secret, exampleNow)

	recovery, err := m.Confirm(ctx, "user-42", appCode)
	fmt.Println(len(recovery), "recovery codes,", err)

	next, _ := m.Params().Code(secret, exampleNow.Add(30*time.Second))
	fmt.Println("sign-in:", m.Verify(ctx, "user-42", next))
	fmt.Println("again:", m.Verify(ctx, "user-42", next))

	left, err := m.UseRecoveryCode(ctx, "user-42", recovery[0])
	fmt.Println("recovery code:", left, "left,", err)
	// Output:
	// 10 recovery codes, <nil>
	// sign-in: <nil>
	// again: mfa: invalid code: already used
	// recovery code: 9 left, <nil>
}

// Callers branch with errors.Is and errors.As; a lock carries the
// Retry-After value.
func Example_errorChecking() {
	ctx := context.Background()
	m := exampleManager()
	e, _ := m.Enroll(ctx, "user-42", "alice")
	secret, _ := mfa.ParseSecret(e.Secret)
	code, _ := m.Params().Code(secret, exampleNow)
	m.Confirm(ctx, "user-42", code)

	for range 5 {
		m.Verify(ctx, "user-42", "000000")
	}
	err := m.Verify(ctx, "user-42", "000000")
	var locked *mfa.LockedError
	switch {
	case errors.As(err, &locked):
		fmt.Println("429, Retry-After:", locked.RetryAfter.Seconds())
	case errors.Is(err, mfa.ErrInvalidCode):
		fmt.Println("401")
	}
	// Output: 429, Retry-After: 60
}

// RFC 6238's first test vector.
func ExampleParams_Code() {
	p := mfa.Params{Algorithm: mfa.SHA1, Digits: 8, Period: 30 * time.Second}
	code, err := p.Code([]byte("12345678901234567890"), time.Unix(59, 0))
	fmt.Println(code, err)
	// Output: 94287082 <nil>
}

// Issuer and account are escaped so that any standard URL parser reads
// them back.
func ExampleParams_URI() {
	uri, err := mfa.DefaultParams.URI("A&B:C", "alice smith", []byte("12345678901234567890"))
	fmt.Println(uri, err)
	// Output: otpauth://totp/A%26B%3AC:alice%20smith?algorithm=SHA1&digits=6&issuer=A%26B%3AC&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ <nil>
}

func ExampleNormalizeRecoveryCode() {
	fmt.Println(mfa.NormalizeRecoveryCode(" 7k2m q9xd-4tnb w0rc-hs5e vg8a "))
	// Output: 7K2MQ9XD4TNBW0RCHS5EVG8A <nil>
}

// Rotating the sealing key: the new key first, the old ones after it until
// every secret has been re-sealed (each is, on its user's next success).
func ExampleNewKeyring() {
	newKey := mfa.Key{ID: "2026-03", Secret: bytes.Repeat([]byte{2}, mfa.KeySize)}
	oldKey := mfa.Key{ID: "2025-09", Secret: bytes.Repeat([]byte{1}, mfa.KeySize)}
	_, err := mfa.NewKeyring(newKey, oldKey)
	fmt.Println(err)
	// Output: <nil>
}
