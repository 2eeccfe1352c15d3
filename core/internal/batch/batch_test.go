package batch

import (
	"context"
	"slices"
	"testing"
)

// sender records each Send as the names of its ops.
type sender struct {
	name  string
	sends *[][]string
}

func (s *sender) Send(_ context.Context, ops []Op) {
	var names []string
	for _, op := range ops {
		o := op.(*op1)
		o.answered = true
		names = append(names, s.name+":"+o.name)
	}
	*s.sends = append(*s.sends, names)
}

type otherKey struct{}

type op1 struct {
	name     string
	to       Sender
	answered bool
}

func (o *op1) Sender() Sender { return o.to }

func TestSet(t *testing.T) {
	var sends [][]string
	a, b, c := &sender{"a", &sends}, &sender{"b", &sends}, &sender{"c", &sends}
	s := NewSet(context.Background())
	ops := []*op1{{name: "1", to: a}, {name: "2", to: b}, {name: "3", to: a}, {name: "4", to: c}, {name: "5", to: b}, {name: "6", to: a}}
	for _, op := range ops {
		s.Add(op)
	}
	s.Add(nil)
	s.Add(&op1{name: "no sender"})
	if !s.Send(context.Background()) {
		t.Fatal("Send reports nothing sent")
	}
	// One Send per sender, in the order of its first op; c's lone op is
	// not sent (its store call makes it itself).
	if want := [][]string{{"a:1", "a:3", "a:6"}, {"b:2", "b:5"}}; !slices.EqualFunc(sends, want, slices.Equal[[]string]) {
		t.Fatalf("sends %q, want %q", sends, want)
	}
	take := func(ctx context.Context, name string) bool {
		_, ok := Take(ctx, func(o *op1) bool { return o.name == name })
		return ok
	}
	if take(context.Background(), "1") {
		t.Error("Take found an op in a context without a Set")
	}
	if take(s, "4") {
		t.Error("Take found the op that was not sent")
	}
	ctx := context.WithValue(s, otherKey{}, 1) // a context derived from the Set
	if !take(ctx, "3") || take(ctx, "3") {
		t.Error("an op is taken exactly once")
	}
	if !take(s, "5") {
		t.Error("Take missed a sent op")
	}
	s.Close()
	if take(ctx, "1") {
		t.Error("Take found an op after Close")
	}
	var nilSet *Set
	nilSet.Close() // no panic
}

func TestSetSendsNothingAlone(t *testing.T) {
	var sends [][]string
	s := NewSet(context.Background())
	s.Add(&op1{name: "1", to: &sender{"a", &sends}})
	s.Add(&op1{name: "2", to: &sender{"b", &sends}})
	if s.Send(context.Background()) || len(sends) != 0 {
		t.Errorf("lone ops sent: %q", sends)
	}
}

func TestSetGrowsPastInline(t *testing.T) {
	var sends [][]string
	a := &sender{"a", &sends}
	s := NewSet(context.Background())
	for i := range 2 * inline {
		s.Add(&op1{name: string(rune('a' + i)), to: a})
	}
	s.Send(context.Background())
	if len(sends) != 1 || len(sends[0]) != 2*inline {
		t.Errorf("sends %q, want one of %d ops", sends, 2*inline)
	}
}
