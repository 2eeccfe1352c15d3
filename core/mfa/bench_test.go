package mfa_test

import (
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/mfa"
)

// BenchmarkVerify measures one successful verification: normalising the
// code, charging the attempt and reading the sealed factor, opening it,
// three HMACs and the step check-and-set. Each iteration moves the clock
// one period on, so every code is fresh.
func BenchmarkVerify(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			f := newFixture(b, kind, mfa.WithAudit(audit.Discard))
			secret, _ := f.enrol(b, "alice")
			raw, _ := mfa.ParseSecret(secret)
			p := f.m.Params()
			start := f.clock.Now()
			codes := make([]string, b.N)
			for i := range codes {
				codes[i], _ = p.Code(raw, start.Add(time.Duration(i)*p.Period))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f.clock.Set(start.Add(time.Duration(i) * p.Period))
				if err := f.m.Verify(ctx, "alice", codes[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyWrong measures a wrong code: one store call, no
// check-and-set.
func BenchmarkVerifyWrong(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			f := newFixture(b, kind, mfa.WithAudit(audit.Discard), mfa.WithLockout(100, time.Second, time.Second))
			secret, _ := f.enrol(b, "alice")
			wrong := wrongCode(f.code(b, secret, 0))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%99 == 98 {
					f.clock.Advance(time.Second) // outlast the lock every 100th failure
				}
				if err := f.m.Verify(ctx, "alice", wrong); err == nil {
					b.Fatal("a wrong code passed")
				}
			}
		})
	}
}

// BenchmarkUseRecoveryCode measures spending a recovery code (one store
// call); every 10 uses it regenerates a set outside the timer.
func BenchmarkUseRecoveryCode(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			f := newFixture(b, kind, mfa.WithAudit(audit.Discard))
			_, codes := f.enrol(b, "alice")
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%10 == 0 && i > 0 {
					b.StopTimer()
					codes, _ = f.m.RegenerateRecoveryCodes(ctx, "alice")
					b.StartTimer()
				}
				if _, err := f.m.UseRecoveryCode(ctx, "alice", codes[i%10]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
