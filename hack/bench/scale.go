package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// result is what one scale measured.
type result struct {
	accounts  int
	unrelated int
	// converge is the time from the first object created to every object
	// Ready; baseline is the time a plain client takes for the needed writes.
	converge, baseline time.Duration
	writes             writeCount
	needed             neededWrites
	latencyP50         time.Duration
	latencyP99         time.Duration
	peakRSS            int64 // bytes
	// peakAnonymous is the highest anonymous part of the resident set
	// sampled while converging and measuring latency and idle, and
	// fileBacked the file-backed part at that moment (bytes).
	peakAnonymous, fileBacked int64
	idleWrites                int64
	profiles                  string
	// curve is the plain client's write rate by number of workers.
	curve string
	// cpu and baselineCPU are the CPUs each process used on average while
	// the operator converged, and during the baseline.
	cpu, baselineCPU string
}

func (r *result) amplification() float64 {
	return float64(r.writes.total()) / float64(r.needed.total())
}

// inputs is the number of objects the benchmark's client creates: the
// price list, 2 Users, the Account, 2 Contacts, 3 Memberships and 2 Domains
// per account.
func (r *result) inputs() int64 { return 1 + 10*int64(r.accounts) }

// ideal is the time the API server would take, at the baseline's rate, for
// the benchmark's own creates and the needed writes together: what an
// operator with no overhead at all would converge in.
func (r *result) ideal() time.Duration {
	if r.needed.total() == 0 {
		return 0
	}
	return time.Duration(float64(r.baseline) * float64(r.inputs()+r.needed.total()) / float64(r.needed.total()))
}

func (r *result) summary() string {
	return fmt.Sprintf("%d accounts (%d unrelated objects): converged in %s (baseline %s, ratio %.2f; no-overhead operator %s, ratio %.2f), "+
		"%d writes for %d needed (amplification %.2f), membership->rolebinding p50 %s p99 %s, peak RSS %d MiB (anonymous at most %d MiB, file-backed %d MiB), %d writes idle",
		r.accounts, r.unrelated, r.converge.Round(100*time.Millisecond), r.baseline.Round(100*time.Millisecond),
		r.converge.Seconds()/r.baseline.Seconds(), r.ideal().Round(100*time.Millisecond), r.converge.Seconds()/r.ideal().Seconds(),
		r.writes.total(), r.needed.total(), r.amplification(),
		r.latencyP50.Round(time.Millisecond), r.latencyP99.Round(time.Millisecond), r.peakRSS>>20, r.peakAnonymous>>20, r.fileBacked>>20, r.idleWrites)
}

// runScale measures one number of accounts on a fresh control plane.
func runScale(ctx context.Context, opts options, accounts, unrelated int) (*result, error) {
	log.Printf("%d accounts: starting a control plane", accounts)
	env, err := testenv.Start(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			log.Printf("stopping the control plane: %v", err)
		}
	}()
	admin, err := fastClient(env.Config)
	if err != nil {
		return nil, err
	}
	r := &result{accounts: accounts, unrelated: unrelated}
	if unrelated > 0 {
		log.Printf("creating %d unrelated ConfigMaps and %d unrelated RoleBindings", unrelated, unrelated)
		if err := createUnrelated(ctx, admin, unrelated, opts.workers); err != nil {
			return nil, err
		}
	}

	run := fmt.Sprintf("%d-accounts", accounts)
	if unrelated > 0 {
		run += fmt.Sprintf("-%d-unrelated", unrelated)
	}
	m, err := startManager(env.Environment, opts, run)
	if err != nil {
		return nil, err
	}
	defer func() { _ = m.process.Stop(30 * time.Second) }()

	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching() // before the control plane stops
	watched, err := watchBenchmarkKinds(watchCtx, env.Config)
	if err != nil {
		return nil, err
	}
	log.Printf("%d accounts: creating the accounts and their objects with %d workers", accounts, opts.workers)
	started, cpuBefore := time.Now(), cpuTimes()
	stopSampling := make(chan struct{})
	memorySamples := m.sampleMemory(stopSampling)
	profileDone := m.profileCPU(filepath.Join(opts.dir, run+".cpu.pprof"), 30*time.Second)
	converged := make(chan struct{})
	apiserverProfileDone := profileAPIServer(env.Config, filepath.Join(opts.dir, run+".apiserver.cpu.pprof"), converged)
	if err := createAccounts(ctx, admin, watched, accounts, opts.workers); err != nil {
		return nil, err
	}
	if err := waitConverged(ctx, watched, accounts, opts.timeout); err != nil {
		return nil, err
	}
	r.converge = time.Since(started)
	r.cpu = cpuUse(cpuBefore, cpuTimes(), r.converge)
	log.Printf("CPU while converging: %s", r.cpu)
	close(converged)
	<-profileDone
	<-apiserverProfileDone
	if r.writes, err = m.writes(); err != nil {
		return nil, err
	}
	if r.needed, err = countNeeded(ctx, admin); err != nil {
		return nil, err
	}
	if counts, err := apiserverRequestCounts(env.Config); err != nil {
		log.Printf("API server request counts: %v", err)
	} else {
		log.Printf("requests the API server served, every client (verb, resource, code, count):\n  %s", strings.Join(countLines(counts, nil, false), "\n  "))
	}
	log.Printf("%d accounts: converged in %s; %d operator writes, %d needed", accounts, r.converge.Round(100*time.Millisecond),
		r.writes.total(), r.needed.total())

	if r.latencyP50, r.latencyP99, err = membershipLatency(ctx, admin, accounts, opts.latencySamples); err != nil {
		return nil, err
	}
	if r.idleWrites, err = measureIdle(env.Config, m, opts.idle); err != nil {
		return nil, err
	}
	close(stopSampling)
	sampled := <-memorySamples
	r.peakAnonymous, r.fileBacked = sampled.anonymous, sampled.file
	if mem, err := m.memory(); err != nil {
		log.Printf("reading the manager's memory: %v", err)
	} else {
		r.peakRSS = mem.peak
	}
	if err := m.saveHeapProfile(filepath.Join(opts.dir, run+".heap.pprof")); err != nil {
		log.Printf("heap profile: %v", err)
	}
	r.profiles = filepath.Join(opts.dir, run+".{cpu,heap,apiserver.cpu.*}.pprof")
	_ = m.process.Stop(30 * time.Second)

	if unrelated == 0 {
		if err := measureBaseline(ctx, env.Config, admin, opts, run, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// measureIdle counts the manager's writes in an idle window, and logs the
// writes the API server served meanwhile, by resource.
func measureIdle(cfg *rest.Config, m *manager, window time.Duration) (int64, error) {
	var before map[string]int64
	writes, err := m.idleWrites(window, func() { before, _ = apiserverRequestCounts(cfg) })
	if err != nil {
		return 0, err
	}
	if after, err := apiserverRequestCounts(cfg); err == nil && before != nil {
		log.Printf("writes the API server served while idle: %v", countLines(after, before, true))
	}
	return writes, nil
}

// measureBaseline times the plain client making the needed writes (with
// the API server profiled), and its write rate by number of workers.
func measureBaseline(ctx context.Context, cfg *rest.Config, admin client.Client, opts options, run string, r *result) error {
	log.Printf("%d accounts: baseline: a plain client makes the %d needed writes with %d workers", r.accounts, r.needed.total(), opts.workers)
	profile := func() func() {
		stop := make(chan struct{})
		done := profileAPIServer(cfg, filepath.Join(opts.dir, run+".baseline.apiserver.cpu.pprof"), stop)
		return func() { close(stop); <-done }
	}
	var err error
	if r.baseline, r.baselineCPU, err = baseline(ctx, admin, r.needed, opts.workers, profile); err != nil {
		return err
	}
	log.Printf("CPU during the baseline: %s", r.baselineCPU)
	r.curve = workerCurve(ctx, admin, 3000)
	log.Printf("plain client, ConfigMap creates: %s", r.curve)
	return nil
}

// watchBenchmarkKinds starts a cache of the kinds the benchmark waits for,
// fed by watches, and returns once it has synced. It stops with ctx.
func watchBenchmarkKinds(ctx context.Context, cfg *rest.Config) (client.Reader, error) {
	watched, err := cache.New(cfg, cache.Options{Scheme: scheme.Scheme})
	if err != nil {
		return nil, err
	}
	for _, obj := range []client.Object{&clientareav1alpha1.User{}, &clientareav1alpha1.Account{}, &clientareav1alpha1.Membership{}, &clientareav1alpha1.Contact{}, &clientareav1alpha1.Domain{}, &clientareav1alpha1.Invoice{}} {
		if _, err := watched.GetInformer(ctx, obj); err != nil {
			return nil, err
		}
	}
	go func() {
		if err := watched.Start(ctx); err != nil {
			log.Printf("the benchmark's cache: %v", err)
		}
	}()
	if !watched.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the benchmark's cache did not sync")
	}
	return watched, nil
}

// fastClient is an administrator's client that the client side never slows
// down: the API server's own flow control is the only limit.
func fastClient(cfg *rest.Config) (client.WithWatch, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	return client.NewWithWatch(cfg, client.Options{})
}

// manager is the manager process of one run.
type manager struct {
	process *testenv.Process
	metrics string // host:port of plain-HTTP /metrics
	pprof   string // host:port of net/http/pprof
}

func startManager(env *envtest.Environment, opts options, run string) (*manager, error) {
	kubeconfig := filepath.Join(opts.dir, run+".operator.kubeconfig")
	if err := testenv.WriteKubeconfig(env, envtest.User{Name: testenv.OperatorUser, Groups: testenv.OperatorGroups}, kubeconfig); err != nil {
		return nil, err
	}
	m := &manager{metrics: freeAddress(), pprof: freeAddress()}
	logPath := filepath.Join(opts.dir, run+".manager.log")
	args := append([]string{"--metrics-bind-address=" + m.metrics, "--metrics-secure=false",
		"--health-probe-bind-address=" + freeAddress(), "--pprof-bind-address=" + m.pprof}, opts.managerArgs...)
	environ := []string{"KUBECONFIG=" + kubeconfig}
	if opts.goMemLimit != "" {
		environ = append(environ, "GOMEMLIMIT="+opts.goMemLimit)
	}
	process, err := testenv.StartProcess("manager", logPath, opts.manager, environ, args...)
	if err != nil {
		return nil, err
	}
	m.process = process
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := m.writes(); err == nil {
			return m, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("the manager serves no metrics after a minute; see %s", logPath)
}

// freeAddress is a loopback address with a port that is free now.
func freeAddress() string {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

// parallel runs job(0..n-1) on workers goroutines and returns the first
// error.
func parallel(n, workers int, job func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := job(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
