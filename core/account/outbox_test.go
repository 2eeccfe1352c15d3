package account

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	o, err := NewOutbox(WithWorkers(2), WithQueue(8), WithOutboxLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	var ran atomic.Int32
	for range 5 {
		if err := o.Go(func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("a job runs without a deadline")
			}
			ran.Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = o.Go(func(context.Context) error { return errors.New("job failed") })
	_ = o.Go(func(context.Context) error { panic("job panicked") })
	var sent []Message
	if err := o.Send(MailerFunc(func(_ context.Context, m Message) error { mu.Lock(); sent = append(sent, m); mu.Unlock(); return nil }), Message{Subject: "hi"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if ran.Load() != 5 || len(sent) != 1 || !strings.Contains(logs.String(), "job failed") || !strings.Contains(logs.String(), "job panicked") {
		t.Errorf("ran %d, sent %v, logs:\n%s", ran.Load(), sent, logs.String())
	}
	mu.Unlock()
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.Go(func(context.Context) error { return nil }); !errors.Is(err, ErrOutboxClosed) {
		t.Errorf("Go after Close: %v", err)
	}
	if err := o.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A full queue drops the job at once: Go never blocks the request.
func TestOutboxFull(t *testing.T) {
	o, err := NewOutbox(WithWorkers(1), WithQueue(1), WithOutboxLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	started := make(chan struct{})
	_ = o.Go(func(context.Context) error { close(started); <-release; return nil })
	<-started
	if err := o.Go(func(context.Context) error { return nil }); err != nil {
		t.Fatalf("the queued job: %v", err)
	}
	if err := o.Go(func(context.Context) error { t.Error("a dropped job ran"); return nil }); !errors.Is(err, ErrOutboxFull) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Go on a full queue: %v, want ErrOutboxFull", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := o.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush with a job still running: %v", err)
	}
	cancel()
	close(release)
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxJobTimeout(t *testing.T) {
	o, err := NewOutbox(WithJobTimeout(10*time.Millisecond), WithOutboxLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close(context.Background())
	got := make(chan error, 1)
	_ = o.Go(func(ctx context.Context) error { <-ctx.Done(); got <- ctx.Err(); return ctx.Err() })
	if err := <-got; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("job context: %v", err)
	}
	for _, opts := range [][]OutboxOption{{WithWorkers(0)}, {WithQueue(-1)}, {WithJobTimeout(0)}, {nil}} {
		if _, err := NewOutbox(opts...); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewOutbox: %v, want ErrInvalidConfig", err)
		}
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
