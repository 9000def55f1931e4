package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// writeCount is the operator's requests that write, by HTTP method, from its
// client's rest_client_requests_total.
type writeCount map[string]int64

var writeMethods = []string{"POST", "PUT", "PATCH", "DELETE"}

func (w writeCount) total() int64 {
	var total int64
	for _, method := range writeMethods {
		total += w[method]
	}
	return total
}

func (w writeCount) String() string {
	parts := make([]string, 0, len(writeMethods))
	for _, method := range writeMethods {
		parts = append(parts, fmt.Sprintf("%s %d", method, w[method]))
	}
	return strings.Join(parts, ", ")
}

// writes reads the manager's write count from its /metrics.
func (m *manager) writes() (writeCount, error) {
	response, err := http.Get("http://" + m.metrics + "/metrics")
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", response.Status)
	}
	counts := writeCount{}
	scanner := bufio.NewScanner(response.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<22)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `method="`)
		method, _, _ := strings.Cut(rest, `"`)
		value, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("/metrics: %q: %w", line, err)
		}
		counts[method] += int64(value)
	}
	return counts, scanner.Err()
}

// idleWrites counts the operator's writes during d with nothing changing,
// from the moment it has written nothing for 5 s (it finishes what the
// latency samples started first).
// started is called when the window starts.
func (m *manager) idleWrites(d time.Duration, started func()) (int64, error) {
	before, err := m.writes()
	if err != nil {
		return 0, err
	}
	for quiet := time.Duration(0); quiet < 5*time.Second; quiet += time.Second {
		time.Sleep(time.Second)
		now, err := m.writes()
		if err != nil {
			return 0, err
		}
		if now.total() != before.total() {
			quiet, before = -time.Second, now
		}
	}
	log.Printf("counting writes for %s of idle", d)
	started()
	time.Sleep(d)
	after, err := m.writes()
	if err != nil {
		return 0, err
	}
	return after.total() - before.total(), nil
}

// memory is the manager's resident memory, in bytes, from
// /proc/<pid>/status: all of it (VmRSS), its peak (VmHWM), and the two
// parts of the resident set: anonymous memory (the Go heap, stacks, the
// work area of a hash) and file-backed pages (the binary's own code and
// read-only data, which the kernel may drop and read again).
type memory struct {
	rss, peak, anonymous, file int64
}

// memory reads the manager's resident memory now.
func (m *manager) memory() (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.process.Cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	fields := map[string]*int64{}
	var mem memory
	fields["VmRSS:"], fields["VmHWM:"], fields["RssAnon:"], fields["RssFile:"] = &mem.rss, &mem.peak, &mem.anonymous, &mem.file
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, _ := strings.Cut(line, "\t")
		if field, ok := fields[name]; ok {
			kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
			*field = kib << 10
		}
	}
	return mem, nil
}

// sampleMemory reads the manager's memory every half second until stop is
// closed, and returns on the channel the peak of its anonymous part and the
// file-backed part at that moment (the kernel keeps a peak of the whole
// resident set only).
func (m *manager) sampleMemory(stop <-chan struct{}) <-chan memory {
	out := make(chan memory, 1)
	go func() {
		var peak memory
		ticker := time.NewTicker(500 * time.Millisecond)
		defer ticker.Stop()
		for {
			if mem, err := m.memory(); err == nil && mem.anonymous > peak.anonymous {
				peak = mem
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-ticker.C:
			}
		}
	}()
	return out
}

// profileCPU records a CPU profile of the manager's first d of work into
// path; the channel is closed when it is written.
func (m *manager) profileCPU(path string, d time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := download(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", m.pprof, int(d.Seconds())), path); err != nil {
			log.Printf("CPU profile: %v", err)
		}
	}()
	return done
}

// profileAPIServer records CPU profiles of kube-apiserver (its
// /debug/pprof, as the administrator) in 10 s pieces, path.1, path.2, ...,
// until stop is closed; `go tool pprof` merges them. The returned channel is
// closed when the last is written.
func profileAPIServer(cfg *rest.Config, path string, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	// The pieces of an earlier run would be merged with this one's.
	stale, _ := filepath.Glob(path + ".*")
	for _, file := range stale {
		_ = os.Remove(file)
	}
	go func() {
		defer close(done)
		httpClient, err := rest.HTTPClientFor(cfg)
		if err != nil {
			log.Printf("API server CPU profile: %v", err)
			return
		}
		url := strings.TrimSuffix(cfg.Host, "/") + "/debug/pprof/profile?seconds=10"
		for piece := 1; ; piece++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := downloadWith(httpClient, url, fmt.Sprintf("%s.%d", path, piece)); err != nil {
				log.Printf("API server CPU profile: %v", err)
				return
			}
		}
	}()
	return done
}

func (m *manager) saveHeapProfile(path string) error {
	return download("http://"+m.pprof+"/debug/pprof/heap", path)
}

func download(url, path string) error {
	return downloadWith(http.DefaultClient, url, path)
}

func downloadWith(httpClient *http.Client, url, path string) error {
	response, err := httpClient.Get(url) //nolint:gosec // loopback pprof addresses of the manager and the API server
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, response.Status)
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(file, response.Body); err != nil {
		_ = file.Close()
		return err
	}
	return file.Close()
}

// apiserverRequestCounts is the API server's count of requests by "verb
// resource[/subresource] code" (apiserver_request_total, every client).
func apiserverRequestCounts(cfg *rest.Config) (map[string]int64, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	response, err := httpClient.Get(strings.TrimSuffix(cfg.Host, "/") + "/metrics")
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	counts := map[string]int64{}
	scanner := bufio.NewScanner(response.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<22)
	label := func(line, name string) string {
		_, rest, _ := strings.Cut(line, name+`="`)
		value, _, _ := strings.Cut(rest, `"`)
		return value
	}
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		resource := label(line, "resource")
		if sub := label(line, "subresource"); sub != "" {
			resource += "/" + sub
		}
		value, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			return nil, err
		}
		counts[label(line, "verb")+" "+resource+" "+label(line, "code")] += int64(value)
	}
	return counts, scanner.Err()
}

// countLines formats request counts (or their growth since before, when
// given) as lines "verb resource code count", largest first, leaving out
// those that did not grow and, with writesOnly, the reads.
func countLines(counts, before map[string]int64, writesOnly bool) []string {
	type line struct {
		key   string
		count int64
	}
	var lines []line
	for key, count := range counts {
		verb, _, _ := strings.Cut(key, " ")
		if count -= before[key]; count == 0 || (writesOnly && !slices.Contains([]string{"POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"}, verb)) {
			continue
		}
		lines = append(lines, line{key, count})
	}
	slices.SortFunc(lines, func(a, b line) int { return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.key, b.key)) })
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%s %d", l.key, l.count))
	}
	return out
}
