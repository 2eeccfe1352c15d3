// Package redisbatch is the Redis side of package batch, shared by the
// Redis stores: the batch.Sender of a client, which sends the ops of the
// stores sharing that client in one pipeline (one round trip on a single
// server or Sentinel; on Cluster go-redis splits it by node and sends the
// parts in parallel, one round trip per node), and script calls that
// survive NOSCRIPT.
package redisbatch

import (
	"context"
	"reflect"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/internal/batch"
)

// Op is a batch.Op of a Redis store.
type Op interface {
	batch.Op
	Queuer
}

// Queuer adds commands to a pipeline.
type Queuer interface {
	// Queue adds the commands to p. With again, it adds only the script
	// calls Redis answered NOSCRIPT the first time, with the script's
	// body, and reports whether there were any.
	Queue(ctx context.Context, p redis.Pipeliner, again bool) bool
}

// sender sends the ops of one client.
type sender struct{ c redis.UniversalClient }

// SenderOf returns the batch.Sender of c: equal for every store built on
// the same client. It is nil (the store does not batch) when c is nil or
// of a type == cannot compare.
func SenderOf(c redis.UniversalClient) batch.Sender {
	if c == nil || !reflect.TypeOf(c).Comparable() {
		return nil
	}
	return sender{c}
}

// Send implements batch.Sender: every op is an Op.
func (s sender) Send(ctx context.Context, ops []batch.Op) {
	exec(ctx, s.c, ops, func(op batch.Op) Queuer { return op.(Op) })
}

// Exec sends what qs queue in one pipeline, then, only if Redis answered a
// script call NOSCRIPT (it restarted or was flushed since the script was
// last loaded), those calls again with the scripts' bodies. Each command
// keeps its own reply or error.
func Exec[Q Queuer](ctx context.Context, c redis.UniversalClient, qs []Q) {
	exec(ctx, c, qs, func(q Q) Queuer { return q })
}

func exec[T any](ctx context.Context, c redis.UniversalClient, items []T, queuer func(T) Queuer) {
	pipe := c.Pipeline()
	for _, it := range items {
		queuer(it).Queue(ctx, pipe, false)
	}
	if _, err := pipe.Exec(ctx); err == nil {
		return
	}
	pipe = c.Pipeline()
	again := false
	for _, it := range items {
		again = queuer(it).Queue(ctx, pipe, true) || again
	}
	if again {
		_, _ = pipe.Exec(ctx) // the errors stay in the commands
	}
}

// Script is one call of a script, for a pipeline.
type Script struct {
	Script *redis.Script
	Keys   []string
	Args   []any
	// Cmd is the call once queued: its reply, or its error.
	Cmd *redis.Cmd
}

// Queue implements Queuer: EVALSHA, or with again and after NOSCRIPT,
// EVAL.
func (s *Script) Queue(ctx context.Context, p redis.Pipeliner, again bool) bool {
	switch {
	case !again:
		s.Cmd = s.Script.EvalSha(ctx, p, s.Keys, s.Args...)
	case NoScript(s.Cmd.Err()):
		s.Cmd = s.Script.Eval(ctx, p, s.Keys, s.Args...)
	default:
		return false
	}
	return true
}

// NoScript reports whether err is Redis's NOSCRIPT: the script is not
// loaded, and the command did nothing.
func NoScript(err error) bool { return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") }
