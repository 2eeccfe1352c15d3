package account

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Outbox runs work that a request must not wait for, in the background:
// mailing a message (a slow mail server would hold up the answer), and
// above all the part of a password reset request that happens only for an
// account that exists (issuing the token and mailing it), so that the
// answer takes the same time and says the same whether the account exists
// or not. Jobs run on a few workers from a bounded queue; a job that
// finds no room is dropped and logged, never run in the request. It is
// safe for concurrent use.
type Outbox struct {
	jobs    chan func(context.Context) error
	timeout time.Duration
	logger  *slog.Logger

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool

	pmu     sync.Mutex
	pending int           // jobs accepted and not finished
	idle    chan struct{} // closed while pending is 0

	workers sync.WaitGroup
}

func (o *Outbox) add() {
	o.pmu.Lock()
	if o.pending == 0 {
		o.idle = make(chan struct{})
	}
	o.pending++
	o.pmu.Unlock()
}

func (o *Outbox) done() {
	o.pmu.Lock()
	o.pending--
	if o.pending == 0 {
		close(o.idle)
	}
	o.pmu.Unlock()
}

// OutboxOption configures NewOutbox.
type OutboxOption func(*outboxConfig)

type outboxConfig struct {
	workers, queue int
	timeout        time.Duration
	logger         *slog.Logger
}

// WithWorkers sets how many jobs run at once. Default: 4.
func WithWorkers(n int) OutboxOption { return func(c *outboxConfig) { c.workers = n } }

// WithQueue sets how many jobs may wait; beyond it Go drops the job and
// returns ErrOutboxFull. Default: 1024.
func WithQueue(n int) OutboxOption { return func(c *outboxConfig) { c.queue = n } }

// WithJobTimeout bounds each job: its context ends after d. Default: 30s.
func WithJobTimeout(d time.Duration) OutboxOption { return func(c *outboxConfig) { c.timeout = d } }

// WithOutboxLogger sets where failed and dropped jobs are logged. Default:
// slog.Default() at the time of the failure.
func WithOutboxLogger(l *slog.Logger) OutboxOption { return func(c *outboxConfig) { c.logger = l } }

// NewOutbox starts an Outbox's workers; Close stops them.
func NewOutbox(opts ...OutboxOption) (*Outbox, error) {
	c := outboxConfig{workers: 4, queue: 1024, timeout: 30 * time.Second}
	for _, o := range opts {
		if o == nil {
			return nil, invalidConfig("nil option")
		}
		o(&c)
	}
	if c.workers < 1 || c.queue < 0 || c.timeout <= 0 {
		return nil, invalidConfig("outbox: workers %d, queue %d, timeout %v", c.workers, c.queue, c.timeout)
	}
	o := &Outbox{jobs: make(chan func(context.Context) error, c.queue), timeout: c.timeout, logger: c.logger, idle: make(chan struct{})}
	close(o.idle)
	for range c.workers {
		o.workers.Add(1)
		go o.work()
	}
	return o, nil
}

func (o *Outbox) work() {
	defer o.workers.Done()
	for job := range o.jobs {
		o.run(job)
	}
}

func (o *Outbox) run(job func(context.Context) error) {
	defer o.done()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			o.log().Error("account: an outbox job panicked", "panic", v)
		}
	}()
	if err := job(ctx); err != nil {
		o.log().Warn("account: an outbox job failed", "error", err)
	}
}

func (o *Outbox) log() *slog.Logger {
	if o.logger != nil {
		return o.logger
	}
	return slog.Default()
}

// Go queues job, which runs with a context of its own (the request's
// ends with its answer) bounded by the job timeout; its error is logged.
// It never blocks: with the queue full the job is dropped and logged, and
// the error is ErrOutboxFull — a caller whose answer must not depend on
// whether it queued anything (a reset request) ignores it. After Close it
// returns ErrOutboxClosed.
func (o *Outbox) Go(job func(ctx context.Context) error) error {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		return ErrOutboxClosed
	}
	o.add()
	select {
	case o.jobs <- job:
		return nil
	default:
		o.done()
		o.log().Warn("account: outbox full; a job was dropped")
		return ErrOutboxFull
	}
}

// Send queues m for mailer; see Go.
func (o *Outbox) Send(mailer Mailer, m Message) error {
	return o.Go(func(ctx context.Context) error { return mailer.Send(ctx, m) })
}

// Flush waits until every job queued so far has finished, or ctx ends.
func (o *Outbox) Flush(ctx context.Context) error {
	o.pmu.Lock()
	idle := o.idle
	o.pmu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking jobs and waits for the queued ones to finish, or for
// ctx to end (the rest then finish in the background).
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if !o.closed {
		o.closed = true
		close(o.jobs)
	}
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
