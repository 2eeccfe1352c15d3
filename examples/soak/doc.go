// Package soak holds TestSoak, a bounded load run of the reference API
// (the nethttp example server, built from examples/internal/app, on its
// real http.Server over loopback) on a private Redis that is killed and
// started again in the middle of the run.
//
// The run lasts 15 s under `make test` and in CI; `make soak` runs it for
// 2 minutes (SOAK_DURATION=5m make soak, or go test -soak 5m, for another
// length). It passes when no answer was unexpected (503 only while Redis
// was down and shortly after it returned), no account or revocation was
// lost, and the heap and the goroutines are as they were before the load.
// It logs one summary line with the numbers (go test -v).
package soak
