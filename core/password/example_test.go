package password_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/authkit-go/authkit/core/password"
)

func ExampleHasher() {
	ctx := context.Background()
	h, err := password.NewHasher() // argon2id, m=64 MiB, t=3, p=4
	if err != nil {
		panic(err)
	}
	encoded, err := h.Hash(ctx, "Vq7-lantern-Orbit")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(encoded, "$argon2id$v=19$m=65536,t=3,p=4$"))

	needsRehash, err := h.Verify(ctx, "Vq7-lantern-Orbit", encoded)
	fmt.Println(needsRehash, err)
	// Output:
	// true
	// false <nil>
}

// A hash stored by an older system verifies, and asks to be upgraded.
func ExampleHasher_Verify_upgrade() {
	ctx := context.Background()
	h, _ := password.NewHasher()
	legacy := "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" // bcrypt of "U*U"
	needsRehash, err := h.Verify(ctx, "U*U", legacy)
	fmt.Println(needsRehash, err)
	// Output: true <nil>
}

func ExampleHasher_Verify_errorChecking() {
	ctx := context.Background()
	h, _ := password.NewHasher()
	for _, stored := range []string{
		"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"not a hash",
	} {
		_, err := h.Verify(ctx, "wrong", stored)
		switch {
		case errors.Is(err, password.ErrMismatch):
			fmt.Println("wrong password")
		case errors.Is(err, password.ErrHashLimits):
			fmt.Println("stored hash too expensive: refused")
		case errors.Is(err, password.ErrUnsupportedHash):
			fmt.Println("unsupported hash")
		case errors.Is(err, password.ErrMalformedHash):
			fmt.Println("malformed hash")
		}
	}
	// Output:
	// wrong password
	// stored hash too expensive: refused
	// unsupported hash
	// malformed hash
}

// Answer an unknown user as slowly as a wrong password.
func ExampleHasher_VerifyDummy() {
	ctx := context.Background()
	h, _ := password.NewHasher()
	users := map[string]string{} // name -> stored hash
	stored, ok := users["mallory"]
	if !ok {
		_ = h.VerifyDummy(ctx)
		fmt.Println("invalid credentials")
		return
	}
	_, _ = h.Verify(ctx, "guess", stored)
	// Output: invalid credentials
}

func ExamplePolicy_Check() {
	p, err := password.NewPolicy() // the secure default
	if err != nil {
		panic(err)
	}
	err = p.Check(context.Background(), "alice123", password.User{Name: "alice", Email: "alice@example.com"})
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		body, _ := json.Marshal(map[string]any{"errors": pe.Violations})
		fmt.Println(string(body))
	}
	// Output:
	// {"errors":[{"code":"too_short","message":"must be at least 10 characters long"},{"code":"missing_upper","message":"must contain an upper-case letter"},{"code":"contains_user","message":"must not contain your user name or email address"},{"code":"common","message":"is too common; choose a less predictable password"}]}
}

func ExampleWithContextWords() {
	// The words an attacker tries first against this site.
	p, err := password.NewPolicy(password.WithContextWords("Example Co", "examplecorp"))
	if err != nil {
		panic(err)
	}
	err = p.Check(context.Background(), "ExampleCorp-2026", password.User{Name: "alice"})
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		fmt.Println(pe.Violations[0].Code)
	}
	// Output: context_word
}

func ExamplePolicy_Check_errorChecking() {
	p, _ := password.NewPolicy()
	err := p.Check(context.Background(), "Password123", password.User{})
	switch {
	case errors.Is(err, password.ErrPolicy):
		fmt.Println("400:", err)
	case errors.Is(err, password.ErrBreachCheck):
		fmt.Println("503: breach check unavailable, try again")
	case err == nil:
		fmt.Println("accepted")
	}
	// Output: 400: password: rejected by policy: common
}

func ExampleNewPwnedChecker() {
	hibp, err := password.NewPwnedChecker() // fails closed by default
	if err != nil {
		panic(err)
	}
	p, err := password.NewPolicy(password.WithBreachChecker(hibp))
	fmt.Println(p != nil, err)
	// Output: true <nil>
}
