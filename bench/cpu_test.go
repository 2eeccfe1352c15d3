package bench

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used, user and system: every
// goroutine of the library measured (sweepers, GC) and none of the other
// processes that share the machine.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the metric cpu-ns/op, CPU time per operation since start:
// on a machine other work shares, a steadier measure of throughput than
// ns/op (1e9 / cpu-ns/op operations per CPU-second).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}
