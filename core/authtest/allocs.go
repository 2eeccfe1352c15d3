package authtest

import "testing"

// AllocBudget fails t when f allocates more than max times per call, on
// average over 100 calls (testing.AllocsPerRun, after one warm-up call), so
// that an allocation added to a hot path fails CI without timing anything.
// Under the race detector, which allocates on its own, the budget cannot
// hold and the check is skipped (t.Skip, so it shows); `make modules` runs
// every module's tests without -race, and there it runs.
func AllocBudget(t testing.TB, name string, max float64, f func()) {
	t.Helper()
	if RaceEnabled {
		t.Skipf("%s: allocation budget not checked under the race detector", name)
	}
	if got := testing.AllocsPerRun(100, f); got > max {
		t.Errorf("%s: %.1f allocations per call, budget %.0f", name, got, max)
	}
}
