package testclock_test

import (
	"fmt"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
)

func ExampleClock() {
	c := testclock.New()
	start := c.Now()
	c.Advance(90 * time.Second)
	fmt.Println(c.Now().Sub(start))
	// Output: 1m30s
}

func ExampleClock_Ticking() {
	c := testclock.At(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	now := c.Ticking(time.Millisecond)
	a, b := now(), now()
	fmt.Println(b.Sub(a), c.Now().Format(time.StampMilli))
	// Output: 1ms Jan  1 00:00:00.002
}
