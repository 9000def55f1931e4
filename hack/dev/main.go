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

// Command dev runs the operator by hand against a local control plane:
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
// builds the manager into bin/manager and runs it with that kubeconfig.
//
// Ctrl-C (SIGINT) or SIGTERM stops the manager, then the control plane; all
// state lives in temporary directories and is gone afterwards.
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
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

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
	return serve(ctx, env.Environment, assets, *withKCM, managerArgs)
}

// serve sets up the running control plane, runs the manager until ctx is done
// or the manager exits, and stops what it started. It returns the exit code.
func serve(ctx context.Context, env *envtest.Environment, assets string, withKCM bool,
	managerArgs []string) int {
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

	fmt.Printf(`
dev: control plane up, manager running (pid %d) with %s %s
dev: kubeconfig (system:masters): %s
dev: in another shell:
    export KUBECONFIG=$PWD/%s; kubectl apply -f config/samples/ && kubectl get clientarea -A
dev: Ctrl-C stops everything.

`, manager.Cmd.Process.Pid, managerBinary, strings.Join(args, " "), kubeconfig, kubeconfig)

	select {
	case <-manager.Exited():
		log.Printf("the manager exited by itself: %v", manager.Err())
		return 1
	case <-ctx.Done():
	}
	log.Print("stopping the manager")
	stop(manager)
	return 0
}

// stop stops a process, logging what went wrong.
func stop(p *testenv.Process) {
	if err := p.Stop(stopTimeout); err != nil {
		log.Print(err)
	}
}
