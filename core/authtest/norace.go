//go:build !race

package authtest

// RaceEnabled reports whether the test binary runs under the race
// detector (go test -race), which changes allocation counts.
const RaceEnabled = false
