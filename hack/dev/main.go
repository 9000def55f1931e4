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
	"errors"
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
	kubeconfig, err := writeKubeconfig(env, envtest.User{Name: "admin", Groups: []string{"system:masters"}}, "kubeconfig")
	if err != nil {
		log.Print(err)
		return 1
	}
	// The manager runs as the operator's service account, with only its
	// generated role, as in a cluster; the admission policy of A4 lets only
	// that identity move an account's owner.
	operatorKubeconfig, err := writeKubeconfig(env, envtest.User{Name: testenv.OperatorUser, Groups: testenv.OperatorGroups}, "operator.kubeconfig")
	if err != nil {
		log.Print(err)
		return 1
	}

	if withKCM {
		kcm, err := startControllerManager(assets, kubeconfig)
		if err != nil {
			log.Print(err)
			return 1
		}
		if kcm != nil {
			defer terminate(kcm, "kube-controller-manager")
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
	manager := exec.Command(managerBinary, args...)
	manager.Stdout, manager.Stderr = os.Stdout, os.Stderr
	// Own process group: a Ctrl-C in the terminal reaches only this program,
	// which then stops the manager before the control plane it talks to.
	manager.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := manager.Start(); err != nil {
		log.Printf("starting the manager: %v", err)
		return 1
	}
	exited := make(chan error, 1)
	go func() { exited <- manager.Wait() }()

	fmt.Printf(`
dev: control plane up, manager running (pid %d) with %s %s
dev: kubeconfig (system:masters): %s
dev: in another shell:
    export KUBECONFIG=$PWD/%s; kubectl apply -f config/samples/ && kubectl get clientarea -A
dev: Ctrl-C stops everything.

`, manager.Process.Pid, managerBinary, strings.Join(args, " "), kubeconfig, kubeconfig)

	select {
	case err := <-exited:
		log.Printf("the manager exited by itself: %v", exitStatus(err))
		return 1
	case <-ctx.Done():
	}
	log.Print("stopping the manager")
	if err := stopProcess(manager.Process, exited, "manager"); err != nil {
		log.Print(err)
	}
	return 0
}

// writeKubeconfig provisions a user with a client certificate and writes its
// kubeconfig to bin/dev/<file>, returning that path.
func writeKubeconfig(env *envtest.Environment, user envtest.User, file string) (string, error) {
	provisioned, err := env.AddUser(user, nil)
	if err != nil {
		return "", fmt.Errorf("provisioning user %s: %w", user.Name, err)
	}
	data, err := provisioned.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("creating the kubeconfig of %s: %w", user.Name, err)
	}
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(devDir, file)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return path, nil
}

// process is a started child process and the result of waiting for it.
type process struct {
	cmd    *exec.Cmd
	exited chan error
	log    *os.File
}

// startControllerManager starts kube-controller-manager with the controllers
// that matter for the operator's objects, when its binary is in assets. Its
// output goes to bin/dev/kube-controller-manager.log. It returns nil, nil when
// there is no binary.
func startControllerManager(assets, kubeconfig string) (*process, error) {
	bin := filepath.Join(assets, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		log.Printf("no kube-controller-manager in %s: owner references are not garbage collected "+
			"and deleted namespaces stay Terminating", assets)
		return nil, nil
	}
	logPath := filepath.Join(devDir, "kube-controller-manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"--kubeconfig="+kubeconfig,
		"--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller",
		"--leader-elect=false",
		"--secure-port=0",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1), log: logFile}
	go func() { p.exited <- cmd.Wait() }()
	log.Printf("started kube-controller-manager (pid %d), log in %s", cmd.Process.Pid, logPath)
	return p, nil
}

// terminate stops a process started by startControllerManager.
func terminate(p *process, name string) {
	if err := stopProcess(p.cmd.Process, p.exited, name); err != nil {
		log.Print(err)
	}
	_ = p.log.Close()
}

// stopProcess sends SIGTERM and waits for exited, killing the process after
// stopTimeout.
func stopProcess(p *os.Process, exited <-chan error, name string) error {
	if err := p.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", name, err)
	}
	select {
	case err := <-exited:
		if err != nil {
			log.Printf("%s stopped: %v", name, exitStatus(err))
		}
		return nil
	case <-time.After(stopTimeout):
	}
	log.Printf("%s did not stop within %s, killing it", name, stopTimeout)
	_ = p.Kill()
	if err := <-exited; err != nil {
		log.Printf("%s killed: %v", name, err)
	}
	return nil
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
