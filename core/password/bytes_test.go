package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestHashIsByteExact pins the documented decision: hashing and verifying
// use the bytes as typed — no normalisation, case folding or truncation
// (ASVS 5.0 6.2.8) — while the policy judges the NFKC form.
func TestHashIsByteExact(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t)
	for _, tt := range []struct{ name, stored, typed string }{
		{"composed vs decomposed", "Caf\u00e9-Horse-42", "Cafe\u0301-Horse-42"},
		{"full-width digit", "Correct-Horse-\uff14\uff12", "Correct-Horse-42"},
		{"ligature", "O\ufb03ce-Horse-42", "Office-Horse-42"},
		{"trailing space", "Correct-Horse-42 ", "Correct-Horse-42"},
		{"letter case", "Correct-Horse-42", "correct-horse-42"},
		{"cut at 72 bytes", strings.Repeat("Correct-Horse-42-", 6), strings.Repeat("Correct-Horse-42-", 6)[:72]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := h.Hash(ctx, tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.Verify(ctx, tt.stored, enc); err != nil {
				t.Fatalf("the bytes as typed do not verify: %v", err)
			}
			if _, err := h.Verify(ctx, tt.typed, enc); !errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify(%q) against a hash of %q = %v, want ErrMismatch", tt.typed, tt.stored, err)
			}
		})
	}
	p, err := NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	// The policy sees "Zxkwqprtv1" in the full-width form: a digit.
	if err := p.Check(ctx, "Zxkwqprtv\uff11", User{}); err != nil {
		t.Fatalf("policy on the NFKC form: %v", err)
	}
}
