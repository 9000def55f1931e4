/*
Copyright 2026 The clientarea-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command manager runs the clientarea-operator: the controllers of the
// clientarea.dev API group in one controller-runtime manager.
//
// Flags (besides the zap logging flags --zap-devel, --zap-encoder,
// --zap-log-level, --zap-stacktrace-level, --zap-time-encoding, and
// --kubeconfig, which controller-runtime registers):
//
//	--metrics-bind-address       where /metrics is served; "0" (the default)
//	                             disables it, which suits a manager run by hand.
//	                             The Deployment in config/manager sets ":8443".
//	--metrics-secure             serve metrics over HTTPS, guarded by the API
//	                             server's TokenReview/SubjectAccessReview
//	                             (default true); false serves plain HTTP.
//	--enable-http2               allow HTTP/2 for the metrics server (default
//	                             false, because of the HTTP/2 rapid reset CVEs).
//	--health-probe-bind-address  where /healthz and /readyz are served (":8081").
//	--leader-elect               elect a leader so that only one replica
//	                             reconciles (default false; true in the Deployment).
//	--leader-election-id         name of the Lease used for the election.
//	--leader-election-namespace  namespace of that Lease; empty means the
//	                             namespace the pod runs in (required with
//	                             --leader-elect when running out of cluster).
//	--leader-election-lease-duration, --leader-election-renew-deadline,
//	--leader-election-retry-period
//	                             how long a lease lasts without renewal (15s:
//	                             a standby takes over at most this long after
//	                             the leader dies), how long the leader tries
//	                             to renew it (10s), and how often candidates
//	                             try (2s).
//	--pprof-bind-address         where net/http/pprof is served; "" or "0"
//	                             (the default) disables it.
//	--max-concurrent-reconciles  how many objects of one kind are reconciled at
//	                             once (default 8).
//	--status-batch-period        how long changes of related objects wait to be
//	                             written together into an aggregate status: a
//	                             User's accounts, an Account's members, a
//	                             Contact's uses (default 1s; 0 writes at once).
//	--account-namespace-prefix   prepended to an Account's name to name its
//	                             namespace (default "account-"; A2).
//	--registry-config            a file that connects the operator to EPP
//	                             registries by TLD (R1); empty: the built-in
//	                             registrar serves every domain.
//	--registry-secret-namespace  where the registries' credentials Secrets are
//	                             (default: POD_NAMESPACE, the operator's own).
//	--registry-poll-interval     how often each registry's message queue is
//	                             read when it was empty (default 30s; R3).
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"math"
	"os"
	"runtime/debug"
	"time"

	// Import all Kubernetes client auth plugins (e.g. OIDC) so that a
	// kubeconfig that uses one works when the manager is run by hand.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	k8sclock "k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(clientareav1alpha1.AddToScheme(scheme))
}

func main() {
	var (
		metricsAddr             string
		probeAddr               string
		secureMetrics           bool
		enableHTTP2             bool
		enableLeaderElection    bool
		leaderElectionID        string
		leaderElectionNamespace string
		leaseDuration           time.Duration
		renewDeadline           time.Duration
		retryPeriod             time.Duration
		pprofAddr               string
		concurrency             int
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0",
		"The address the metrics endpoint binds to, e.g. :8443 for HTTPS or :8080 for HTTP. "+
			"\"0\" disables the metrics endpoint.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, authenticated and authorized by the API server. "+
			"Set to false to serve plain HTTP.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false,
		"Enable HTTP/2 for the metrics server. Off by default because of the HTTP/2 "+
			"stream cancellation and rapid reset vulnerabilities.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081",
		"The address the health (/healthz) and readiness (/readyz) probe endpoints bind to.")
	flag.BoolVar(&enableLeaderElection, "leader-elect", false,
		"Enable leader election, so that only one manager replica is active at a time.")
	flag.StringVar(&leaderElectionID, "leader-election-id", "clientarea-operator.clientarea.dev",
		"The name of the Lease used for leader election.")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "",
		"The namespace of the leader election Lease. Empty means the namespace the manager runs in; "+
			"required with --leader-elect when running outside a cluster.")
	flag.DurationVar(&leaseDuration, "leader-election-lease-duration", 15*time.Second,
		"How long a leader election lease lasts without renewal: a standby replica takes over at most this long after the leader dies.")
	flag.DurationVar(&renewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew its lease before it gives up leading.")
	flag.DurationVar(&retryPeriod, "leader-election-retry-period", 2*time.Second,
		"How often leader election candidates try to acquire or renew the lease.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "",
		"The address net/http/pprof is served on, e.g. 127.0.0.1:6060; empty or \"0\" disables it.")
	flag.IntVar(&concurrency, "max-concurrent-reconciles", 8,
		"How many objects of one kind are reconciled at once. A reconcile mostly waits for the API server, so a few in parallel "+
			"keep it busy; invoice and customer numbers are still reserved one at a time.")
	var controllerOpts controller.Options
	flag.StringVar(&controllerOpts.NamespacePrefix, "account-namespace-prefix", controller.DefaultNamespacePrefix,
		"Prepended to an Account's name to name its namespace. At most 13 characters, "+
			"so that with an account name of up to 50 characters it stays a valid namespace name.")
	flag.DurationVar(&controllerOpts.StatusBatchPeriod, "status-batch-period", controller.DefaultStatusBatchPeriod,
		"How long changes of related objects wait to be written together into an aggregate status (a User's accounts, "+
			"an Account's members, a Contact's uses): fewer writes, at the cost of that much delay in those views. 0 writes at once.")
	flag.StringVar(&controllerOpts.WebServiceAccount, "web-service-account", controller.DefaultWebServiceAccount,
		"The client area front end's ServiceAccount, <namespace>/<name>: in each account namespace with a domain login, "+
			"the operator lets it act as that namespace's domain logins (Role "+controller.WebDomainLoginsRole+").")
	var registryConfig, registryNamespace string
	flag.StringVar(&registryConfig, "registry-config", "",
		"A file that connects the operator to EPP registries (README: Connecting a registry). Empty: the built-in registrar "+
			"registers every domain inside the cluster.")
	flag.StringVar(&registryNamespace, "registry-secret-namespace", os.Getenv("POD_NAMESPACE"),
		"The namespace of the registries' credentials Secrets: the operator's own (POD_NAMESPACE).")
	flag.DurationVar(&controllerOpts.RegistryPollInterval, "registry-poll-interval", controller.DefaultPollInterval,
		"How often each registry's message queue is read when it was empty.")
	opts := zap.Options{
		// Production defaults: JSON, info level, stack traces from error level.
		// --zap-devel switches to human-readable console output.
		Development: false,
	}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	leaveRoomOutsideGoHeap()

	var tlsOpts []func(*tls.Config)
	if !enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) {
			setupLog.Info("disabling http/2")
			c.NextProtos = []string{"http/1.1"}
		})
	}

	metricsOptions := metricsserver.Options{
		BindAddress:   metricsAddr,
		SecureServing: secureMetrics,
		TLSOpts:       tlsOpts,
	}
	if secureMetrics {
		// Only callers whose token the API server accepts (TokenReview) and
		// who may "get" the non-resource URL /metrics (SubjectAccessReview)
		// can scrape. See config/rbac/metrics_*.yaml. Without a certificate
		// in CertDir a self-signed one is generated in memory.
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controller.CacheOptions(),
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          enableLeaderElection,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: leaderElectionNamespace,
		LeaseDuration:           &leaseDuration,
		RenewDeadline:           &renewDeadline,
		RetryPeriod:             &retryPeriod,
		PprofBindAddress:        pprofAddr,
		Controller:              config.Controller{MaxConcurrentReconciles: concurrency},
		// The process exits right after the manager stops, so the lease can be
		// released on shutdown and a standby replica takes over at once.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		setupLog.Error(err, "unable to create manager")
		os.Exit(1)
	}

	ctx := ctrl.SetupSignalHandler()
	if registryConfig != "" {
		if controllerOpts.Registrar, err = registrarFromConfig(mgr.GetAPIReader(), registryConfig, registryNamespace); err != nil {
			setupLog.Error(err, "unable to set up the registries", "file", registryConfig)
			os.Exit(1)
		}
	}
	if err := controller.SetupWithManager(ctx, mgr, controllerOpts); err != nil {
		setupLog.Error(err, "unable to set up controllers")
		os.Exit(1)
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "unable to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		setupLog.Error(err, "unable to set up ready check")
		os.Exit(1)
	}

	setupLog.Info("starting manager")
	if err := mgr.Start(ctx); err != nil {
		setupLog.Error(err, "problem running manager")
		os.Exit(1)
	}
}

// registrarFromConfig routes each TLD of the registry configuration to its
// EPP registry, and the rest to the built-in registrar unless it says none.
func registrarFromConfig(reader client.Reader, path, namespace string) (registrar.Registrar, error) {
	cfg, err := registrar.ReadConfig(path)
	if err != nil {
		return nil, err
	}
	if namespace == "" && len(cfg.Registries) > 0 {
		return nil, errors.New("--registry-secret-namespace (or POD_NAMESPACE) is required to read the registries' Secrets")
	}
	clock := k8sclock.RealClock{}
	return registrar.Build(reader, namespace, cfg, registrar.Builtin{Clock: clock}, clock), nil
}

// leaveRoomOutsideGoHeap lowers the Go runtime's memory limit, which the
// Deployment sets to the container's (GOMEMLIMIT), by the memory the
// manager maps outside the Go heap (the work area of a domain password's
// hash, internal/argon2): the runtime counts only its own memory, the
// container's limit all of it.
func leaveRoomOutsideGoHeap() {
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return // no limit set
	}
	outside := controller.MemoryOutsideGoHeap()
	lowered := max(limit-outside, limit/2)
	debug.SetMemoryLimit(lowered)
	setupLog.Info("Go memory limit lowered by what is mapped outside the Go heap", "GOMEMLIMIT", limit, "outsideHeap", outside,
		"goMemoryLimit", lowered)
}
