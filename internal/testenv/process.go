package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Process is a child process (kube-controller-manager, a manager) whose
// output goes to a log file.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	// LogPath is the file that holds the process' standard output and error.
	LogPath string
	exited  chan struct{}
	err     error
	log     *os.File
}

// StartProcess starts bin with args, its output appended to logPath. The
// process has its own process group, so that a Ctrl-C in a terminal reaches
// only the program that started it, which stops it in order.
func StartProcess(name, logPath, bin string, env []string, args ...string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, Cmd: cmd, LogPath: logPath, exited: make(chan struct{}), log: logFile}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process exited, once Exited is closed.
func (p *Process) Err() error { return p.err }

// Kill ends the process at once (SIGKILL), as a crash or an evicted pod
// would, and waits for it to be gone.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.exited
}

// Stop sends SIGTERM and waits for the process to exit, killing it after
// timeout. A process that has exited already is left as it is.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.Name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(timeout):
	}
	p.Kill()
	return fmt.Errorf("%s did not stop within %s and was killed", p.Name, timeout)
}

// KubeControllerManager is the path of the kube-controller-manager binary
// in assets, or "" when it was not built.
func KubeControllerManager(assets string) string {
	bin := filepath.Join(assets, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

// StartControllerManager starts kube-controller-manager with the controllers
// the operator's objects depend on in a cluster: the garbage collector
// (owner references), the namespace controller (a deleted namespace is
// emptied and goes) and the service account controller.
func StartControllerManager(bin, kubeconfig, logPath string) (*Process, error) {
	return StartProcess("kube-controller-manager", logPath, bin, nil,
		"--kubeconfig="+kubeconfig,
		"--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,clusterrole-aggregation-controller",
		"--leader-elect=false",
		"--secure-port=0",
	)
}

// WriteKubeconfig provisions a user with a client certificate and writes its
// kubeconfig to path.
func WriteKubeconfig(env *envtest.Environment, user envtest.User, path string) error {
	provisioned, err := env.AddUser(user, nil)
	if err != nil {
		return fmt.Errorf("provisioning user %s: %w", user.Name, err)
	}
	data, err := provisioned.KubeConfig()
	if err != nil {
		return fmt.Errorf("creating the kubeconfig of %s: %w", user.Name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
