package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on Linux).
const clockTicks = 100

// cpuTimes is the CPU time used so far by the benchmark's own process and
// its child processes (kube-apiserver, etcd, the manager), by command name.
func cpuTimes() map[string]time.Duration {
	times := map[string]time.Duration{}
	self := os.Getpid()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone since the glob
		}
		// pid (comm) state ppid ... utime stime: comm may hold spaces.
		text := string(data)
		open, closing := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
		if open < 0 || closing < open {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(text[:open]))
		comm := text[open+1 : closing]
		fields := strings.Fields(text[closing+1:])
		if len(fields) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		if pid != self && ppid != self {
			continue
		}
		if pid == self {
			comm = "bench client"
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		times[comm] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return times
}

// cpuUse describes the CPU each process used between two cpuTimes, as
// CPUs on average over elapsed, largest first.
func cpuUse(before, after map[string]time.Duration, elapsed time.Duration) string {
	type use struct {
		name string
		cpus float64
	}
	var uses []use
	for name, t := range after {
		uses = append(uses, use{name, (t - before[name]).Seconds() / elapsed.Seconds()})
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].cpus > uses[j].cpus })
	parts := make([]string, 0, len(uses))
	for _, u := range uses {
		parts = append(parts, fmt.Sprintf("%s %.2f", u.name, u.cpus))
	}
	return strings.Join(parts, ", ") + " CPUs"
}
