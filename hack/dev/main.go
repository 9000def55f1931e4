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
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const (
	defaultKubeVersion = "1.37.2"
	crdDir             = "config/crd/bases"
	policyDir          = "config/policies"
	devDir             = "bin/dev"
	managerBinary      = "bin/manager"
	stopTimeout        = 30 * time.Second
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

	assets, err := assetsDir()
	if err != nil {
		log.Print(err)
		return 1
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	log.Printf("starting etcd and kube-apiserver from %s", assets)
	cfg, err := env.Start()
	if err != nil {
		log.Printf("starting the control plane: %v", err)
		// Start may have left etcd running when the API server failed.
		_ = env.Stop()
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
	return serve(ctx, env, cfg, assets, *withKCM, managerArgs)
}

// serve sets up the running control plane, runs the manager until ctx is done
// or the manager exits, and stops what it started. It returns the exit code.
func serve(ctx context.Context, env *envtest.Environment, cfg *rest.Config, assets string, withKCM bool,
	managerArgs []string) int {
	if err := applyPolicies(ctx, cfg, policyDir); err != nil {
		log.Print(err)
		return 1
	}

	kubeconfig, err := writeAdminKubeconfig(env)
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

	args := append([]string{"--kubeconfig", kubeconfig}, managerArgs...)
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

// assetsDir returns the absolute directory of etcd and kube-apiserver:
// $KUBEBUILDER_ASSETS, else bin/k8s/<version>.
func assetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		version := os.Getenv("KUBE_VERSION")
		if version == "" {
			version = defaultKubeVersion
		}
		dir = filepath.Join("bin", "k8s", version)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("%s not found in %s; run `make controlplane` first (%w)", name, dir, err)
		}
	}
	return dir, nil
}

// applyPolicies creates every object of every YAML file in dir (such as
// ValidatingAdmissionPolicies and their bindings). A missing dir is fine; a
// kustomization.yaml in it is skipped.
func applyPolicies(ctx context.Context, cfg *rest.Config, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(path)
		if d.IsDir() || (ext != ".yaml" && ext != ".yml") || strings.HasPrefix(d.Name(), "kustomization.") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, file := range files {
		objs, err := readObjects(file)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			if err := c.Create(ctx, obj); err != nil {
				return fmt.Errorf("%s: creating %s %s: %w", file, obj.GetKind(), obj.GetName(), err)
			}
			log.Printf("applied %s %s from %s", obj.GetKind(), obj.GetName(), file)
		}
	}
	return nil
}

// readObjects decodes every document of a multi-document YAML (or JSON) file.
func readObjects(file string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var objs []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		obj := &unstructured.Unstructured{}
		err := decoder.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", file, err)
		}
		if len(obj.Object) == 0 { // an empty document, e.g. a trailing "---"
			continue
		}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
			return nil, fmt.Errorf("%s: a document without apiVersion or kind", file)
		}
		objs = append(objs, obj)
	}
}

// writeAdminKubeconfig provisions a system:masters user and writes its
// kubeconfig to bin/dev/kubeconfig, returning that path.
func writeAdminKubeconfig(env *envtest.Environment) (string, error) {
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("provisioning the admin user: %w", err)
	}
	data, err := admin.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("creating the admin kubeconfig: %w", err)
	}
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(devDir, "kubeconfig")
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
