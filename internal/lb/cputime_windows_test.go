package lb

import "time"

// cpuTime is not measured on Windows: BenchmarkProxy reports no CPU time there.
func cpuTime() time.Duration { return 0 }
