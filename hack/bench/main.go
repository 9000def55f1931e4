// Command bench measures the operator against the physical limit of the same
// machine (`make bench`; docs/performance.md has the method and results).
//
// For each scale it starts a fresh local control plane (etcd and
// kube-apiserver, with the CRDs, policies and roles installed), runs the
// built manager as a separate process with the operator's identity and only
// its roles, creates the accounts (each with an owner, 3 Memberships, 2
// Contacts and 2 Domains, with a PriceList so that invoices are issued),
// and waits until every object is Ready. It reports:
//
//   - the time to converge, and the time a plain client with 8 workers takes
//     for the writes that were needed (the baseline), and their ratio;
//   - write amplification: the operator's writes (its client's
//     rest_client_requests_total) over the writes needed: objects it created
//     plus one status write per object whose status it set;
//   - Membership to RoleBinding latency, p50 and p99, on the converged system;
//   - the manager's peak resident memory, and per account;
//   - the operator's writes in an idle minute after convergence (G4).
//
// With -unrelated, the smallest scale runs again with that many unrelated
// ConfigMaps and RoleBindings in the cluster, to show that the manager's
// memory does not grow with objects it does not manage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"clientarea.dev/clientarea-operator/internal/testenv"
)

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench: ")
	// envtest logs through controller-runtime; the benchmark prints its own.
	ctrllog.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	var opts options
	var scales string
	flag.StringVar(&scales, "scales", "250,500,1000", "numbers of accounts, one fresh control plane each")
	flag.IntVar(&opts.workers, "workers", 8, "concurrent writers of the benchmark's client and of the baseline")
	flag.DurationVar(&opts.idle, "idle", 60*time.Second, "how long to count writes after convergence (G4)")
	flag.IntVar(&opts.latencySamples, "latency-samples", 200, "Memberships created one at a time on the converged system")
	flag.IntVar(&opts.unrelated, "unrelated", 10000, "unrelated ConfigMaps and RoleBindings for the memory run at the smallest scale; 0 skips it")
	flag.StringVar(&opts.dir, "dir", "bin/bench", "where the manager binary, logs and profiles go")
	flag.DurationVar(&opts.timeout, "timeout", 30*time.Minute, "how long one scale may take to converge")
	var managerArgs string
	flag.StringVar(&managerArgs, "manager-args", "", "more flags for the manager, space-separated (e.g. --max-concurrent-reconciles=8)")
	flag.StringVar(&opts.goMemLimit, "manager-gomemlimit", "", "GOMEMLIMIT of the manager, as the Deployment sets it from its memory limit (e.g. 256MiB); empty: none")
	flag.Parse()
	opts.managerArgs = strings.Fields(managerArgs)

	if err := os.MkdirAll(opts.dir, 0o755); err != nil {
		log.Fatal(err)
	}
	opts.manager = filepath.Join(opts.dir, "manager")
	log.Printf("building %s", opts.manager)
	build := exec.Command("go", "build", "-o", opts.manager, "./cmd")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("building the manager: %v", err)
	}

	ctx := context.Background()
	var results []*result
	for _, field := range strings.Split(scales, ",") {
		accounts, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || accounts < 4 {
			log.Fatalf("-scales: %q is not a number of accounts (at least 4)", field)
		}
		r, err := runScale(ctx, opts, accounts, 0)
		if err != nil {
			log.Fatalf("%d accounts: %v", accounts, err)
		}
		results = append(results, r)
		log.Print(r.summary())
	}
	if opts.unrelated > 0 {
		smallest := results[0]
		for _, r := range results {
			if r.accounts < smallest.accounts {
				smallest = r
			}
		}
		r, err := runScale(ctx, opts, smallest.accounts, opts.unrelated)
		if err != nil {
			log.Fatalf("%d accounts with %d unrelated objects: %v", smallest.accounts, opts.unrelated, err)
		}
		results = append(results, r)
		log.Print(r.summary())
	}
	fmt.Println()
	fmt.Println(table(results))
	fmt.Printf("control plane: %s; machine: %s\n", testenv.AssetsDir(), machine())
}

type options struct {
	workers        int
	idle           time.Duration
	latencySamples int
	unrelated      int
	dir            string
	manager        string
	timeout        time.Duration
	managerArgs    []string
	goMemLimit     string
}
