package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// table is the results as a Markdown table, for docs/performance.md.
func table(results []*result) string {
	var b strings.Builder
	b.WriteString("| accounts | unrelated objects | converge | baseline (8 workers) | ratio | no-overhead operator (inputs + needed at the baseline's rate) | ratio to it | operator writes | needed writes | amplification | objects with the operator's finalizer | membership to RoleBinding p50 / p99 | peak RSS | peak anonymous RSS (file-backed) | RSS per account | idle writes (60 s) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		baseline, ratio, ideal, idealRatio := "-", "-", "-", "-"
		if r.baseline > 0 {
			baseline = r.baseline.Round(100 * 1e6).String()
			ratio = fmt.Sprintf("%.2f", r.converge.Seconds()/r.baseline.Seconds())
			ideal = r.ideal().Round(100 * 1e6).String()
			idealRatio = fmt.Sprintf("%.2f", r.converge.Seconds()/r.ideal().Seconds())
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %s | %s | %d (%s) | %d | %.2f | %d | %s / %s | %d MiB | %d MiB (%d MiB) | %d KiB | %d |\n",
			r.accounts, r.unrelated, r.converge.Round(100*1e6), baseline, ratio, ideal, idealRatio, r.writes.total(), r.writes, r.needed.total(),
			r.amplification(), r.needed.finalizers, r.latencyP50.Round(1e6), r.latencyP99.Round(1e6), r.peakRSS>>20,
			r.peakAnonymous>>20, r.fileBacked>>20, r.peakRSS/int64(r.accounts)>>10, r.idleWrites)
	}
	for _, r := range results {
		fmt.Fprintf(&b, "\n%d accounts: needed creates %v; status writes %v", r.accounts, r.needed.created, r.needed.status)
		if r.cpu != "" {
			fmt.Fprintf(&b, "; CPU while converging: %s", r.cpu)
		}
		if r.baselineCPU != "" {
			fmt.Fprintf(&b, "; CPU during the baseline: %s", r.baselineCPU)
		}
		if r.curve != "" {
			fmt.Fprintf(&b, "; plain client, ConfigMap creates: %s", r.curve)
		}
	}
	return b.String()
}

// machine describes the machine the benchmark ran on.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	memory := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		memory = strings.Fields(strings.SplitN(string(data), "\n", 2)[0])[1] + " kB memory"
	}
	return fmt.Sprintf("%d CPUs (%s), %s, %s/%s, %s", runtime.NumCPU(), model, memory, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
