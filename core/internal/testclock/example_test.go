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
