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

// Command dev runs the operator and the client area by hand against a local
// control plane:
//
//	make dev                      # or: go run ./hack/dev [flags] [-- manager args]
//	make dev ARGS="--zap-devel"   # extra arguments for the manager
//
// It starts etcd and kube-apiserver (controller-runtime's envtest, binaries
// from $KUBEBUILDER_ASSETS or bin/k8s/<version>, built by `make controlplane`),
// installs the CRDs from config/crd/bases, applies the admission policies in
// config/policies if that directory exists, starts kube-controller-manager
// (garbage collector, namespace and service account controllers) when its
// binary is there, writes a system:masters kubeconfig to bin/dev/kubeconfig,
// builds the manager into bin/manager and runs it as the operator's
// ServiceAccount user. Then it applies config/samples (the namespaced
// samples once their account's namespace is there) and starts, in this
// process and on loopback, the development OpenID provider
// (internal/devoidc, a login page listing the sample users) and the client
// area (internal/web), which acts as its ServiceAccount clientarea-web with
// the RBAC of config/web and a token from the TokenRequest API, never as an
// administrator. It prints the client area's URL and the sample logins.
//
// Ctrl-C (SIGINT) or SIGTERM stops the client area, the manager, then the
// control plane; all state lives in temporary directories and is gone
// afterwards.
//
// Run it from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"clientarea.dev/clientarea-operator/internal/devoidc"
	"clientarea.dev/clientarea-operator/internal/devoidc/devenv"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

const (
	devDir        = "bin/dev"
	managerBinary = "bin/manager"
	stopTimeout   = 30 * time.Second
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("dev: ")
	os.Exit(run())
}

func run() int {
	withKCM := flag.Bool("controller-manager", true,
		"also run kube-controller-manager (garbage collector, namespace and service account controllers) "+
			"when its binary is in the assets directory")
	webListen := flag.String("web-listen", "127.0.0.1:8080",
		"the client area's loopback address; the browser reaches it at http://localhost:<port>")
	oidcListen := flag.String("oidc-listen", "127.0.0.1:0", "the development OpenID provider's loopback address")
	samples := flag.Bool("samples", true, "apply config/samples (without config/samples/support)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./hack/dev [flags] [-- manager args...]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	managerArgs := flag.Args()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	assets := testenv.AssetsDir()
	log.Printf("starting etcd and kube-apiserver from %s, with the CRDs and admission policies of config/", assets)
	env, err := testenv.Start(ctx)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer func() {
		log.Print("stopping the control plane")
		if err := env.Stop(); err != nil {
			log.Printf("stopping the control plane: %v", err)
		}
	}()

	if ctx.Err() != nil { // interrupted while starting
		return 0
	}
	return serve(ctx, env, assets, *withKCM, managerArgs, webOptions{
		listen: *webListen, oidcListen: *oidcListen, samples: *samples,
	})
}

type webOptions struct {
	listen, oidcListen string
	samples            bool
}

// serve sets up the running control plane, runs the manager until ctx is done
// or the manager exits, and stops what it started. It returns the exit code.
func serve(ctx context.Context, testEnv *testenv.Env, assets string, withKCM bool,
	managerArgs []string, webOpts webOptions) int {
	env := testEnv.Environment
	kubeconfig := filepath.Join(devDir, "kubeconfig")
	if err := testenv.WriteKubeconfig(env, envtest.User{Name: "admin", Groups: []string{"system:masters"}}, kubeconfig); err != nil {
		log.Print(err)
		return 1
	}
	// The manager runs as the operator's service account, with only its
	// generated role, as in a cluster; the admission policy of A4 lets only
	// that identity move an account's owner.
	operatorKubeconfig := filepath.Join(devDir, "operator.kubeconfig")
	if err := testenv.WriteKubeconfig(env, envtest.User{Name: testenv.OperatorUser, Groups: testenv.OperatorGroups}, operatorKubeconfig); err != nil {
		log.Print(err)
		return 1
	}

	if withKCM {
		if bin := testenv.KubeControllerManager(assets); bin == "" {
			log.Printf("no kube-controller-manager in %s: owner references are not garbage collected "+
				"and deleted namespaces stay Terminating", assets)
		} else {
			logPath := filepath.Join(devDir, "kube-controller-manager.log")
			kcm, err := testenv.StartControllerManager(bin, kubeconfig, logPath)
			if err != nil {
				log.Print(err)
				return 1
			}
			log.Printf("started kube-controller-manager (pid %d), log in %s", kcm.Cmd.Process.Pid, logPath)
			defer stop(kcm)
		}
	}

	log.Printf("building %s", managerBinary)
	build := exec.CommandContext(ctx, "go", "build", "-o", managerBinary, "./cmd")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		log.Printf("building the manager: %v", err)
		return 1
	}

	args := append([]string{"--kubeconfig", operatorKubeconfig}, managerArgs...)
	manager, err := testenv.StartProcess("manager", "/dev/stdout", managerBinary, nil, args...)
	if err != nil {
		log.Print(err)
		return 1
	}

	defer stop(manager)

	if webOpts.samples {
		log.Print("applying config/samples")
		if err := applySamples(ctx, testEnv.Client, filepath.Join("config", "samples")); err != nil {
			if ctx.Err() != nil { // interrupted
				return 0
			}
			log.Printf("applying the samples: %v", err)
			return 1
		}
	}
	users, err := devenv.SampleUsers(filepath.Join("config", "samples", "02_users.yaml"))
	if err != nil {
		log.Print(err)
		return 1
	}
	log.Print("starting the development OpenID provider and the client area")
	area, err := devenv.Start(ctx, devenv.Options{
		Admin: testEnv.Client, AdminConfig: testEnv.Config, Users: users, AllowOtherAddresses: true,
		Listen: webOpts.listen, ProviderListen: webOpts.oidcListen, Dir: devDir,
	})
	if err != nil {
		log.Printf("the client area: %v", err)
		return 1
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := area.Shutdown(shutdownCtx); err != nil {
			log.Printf("stopping the client area: %v", err)
		}
	}()

	var logins strings.Builder
	table := tabwriter.NewWriter(&logins, 0, 4, 2, ' ', 0)
	for _, u := range users {
		fmt.Fprintf(table, "      %s\t%s\n", u.Email, u.Name)
	}
	_ = table.Flush()
	fmt.Printf(`
dev: control plane up, manager running (pid %d) with %s %s
dev: kubeconfig (system:masters): %s
dev: the client area: %s
dev:   it acts as the ServiceAccount %s (config/web), never as an administrator
dev:   sign-in: development OpenID provider at %s (%s)
dev:   sample logins (no password; a click on the login page signs in):
%s
dev: in another shell:
    export KUBECONFIG=$PWD/%s; kubectl get clientarea -A
dev: Ctrl-C stops everything.

`, manager.Cmd.Process.Pid, managerBinary, strings.Join(args, " "), kubeconfig,
		area.URL, devenv.WebUser, area.Provider.Issuer(), devoidc.Banner,
		strings.TrimRight(logins.String(), "\n"), kubeconfig)

	select {
	case <-manager.Exited():
		log.Printf("the manager exited by itself: %v", manager.Err())
		return 1
	case <-ctx.Done():
	}
	log.Print("stopping the client area and the manager")
	return 0
}

// applySamples creates the objects of the samples directory (not its
// subdirectories), in file order, as `kubectl apply -f` does twice in the
// README: a namespaced object waits for its namespace, which the operator
// creates for its Account.
func applySamples(ctx context.Context, c client.Client, dir string) error {
	objects, err := testenv.ReadManifests(dir)
	if err != nil {
		return err
	}
	for _, obj := range objects {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			err := waitForNamespace(ctx, c, obj.GetNamespace())
			if err == nil {
				err = c.Create(ctx, obj.DeepCopy())
			}
			if err == nil || apierrors.IsAlreadyExists(err) {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("%s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

// waitForNamespace tells whether a namespace exists and is active; "" (a
// cluster-scoped object) always does.
func waitForNamespace(ctx context.Context, c client.Client, name string) error {
	if name == "" {
		return nil
	}
	ns := &corev1.Namespace{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		return fmt.Errorf("waiting for the namespace %s: %w", name, err)
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		return fmt.Errorf("the namespace %s is %s", name, ns.Status.Phase)
	}
	return nil
}

// stop stops a process, logging what went wrong.
func stop(p *testenv.Process) {
	if err := p.Stop(stopTimeout); err != nil {
		log.Print(err)
	}
}
