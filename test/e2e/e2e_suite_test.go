// Package e2e runs the operator the way it runs in a cluster: etcd,
// kube-apiserver and kube-controller-manager (garbage collection, namespace
// deletion), the manifests that config/default renders (all but the
// Deployment), and the built manager binary as separate processes, two
// replicas with leader election, authenticated with their ServiceAccount's
// token and authorised by nothing but the shipped RBAC. The stories of the
// source documents are played through kubectl, from YAML.
//
// Run it with `make test-e2e`.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

const (
	operatorNamespace = "clientarea-system"
	operatorAccount   = "clientarea-controller-manager"
	leaseName         = "clientarea-operator.clientarea.dev"
)

var (
	ctx context.Context
	// cluster is the running control plane and what the suite started on it.
	cluster *e2eCluster
	// admin is an administrator's (system:masters) client.
	admin client.Client
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(2 * time.Minute)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	RunSpecs(t, "clientarea-operator end-to-end")
}

// e2eCluster is the control plane and the processes of the suite.
type e2eCluster struct {
	env        *envtest.Environment
	dir        string
	assets     string
	kubeconfig string
	// operatorKubeconfig authenticates with a token of the operator's
	// ServiceAccount, as a pod of the Deployment would.
	operatorKubeconfig string
	auditLog           string
	managerBinary      string
	managers           []*testenv.Process
	// metrics is where each manager serves /metrics, by process name.
	metrics map[string]string
}

var _ = BeforeSuite(func() {
	var cancel context.CancelFunc
	ctx, cancel = context.WithCancel(context.Background())
	DeferCleanup(cancel)
	started := time.Now()

	dir, err := os.MkdirTemp("", "clientarea-e2e-")
	Expect(err).NotTo(HaveOccurred())
	cluster = &e2eCluster{dir: dir, assets: testenv.AssetsDir(), metrics: map[string]string{}}
	GinkgoWriter.Printf("e2e: logs and kubeconfigs in %s\n", dir)

	By("building the manager binary")
	cluster.managerBinary = filepath.Join(dir, "manager")
	run(testenv.RepoRoot(), "go", "build", "-o", cluster.managerBinary, "./cmd")

	By("starting etcd and kube-apiserver, with an audit log of the operator's requests")
	cluster.startAPIServer()
	DeferCleanup(cluster.env.Stop)

	By("starting kube-controller-manager")
	kcmBinary := testenv.KubeControllerManager(cluster.assets)
	Expect(kcmBinary).NotTo(BeEmpty(), "the end-to-end suite needs kube-controller-manager: run `make controlplane`")
	kcm, err := testenv.StartControllerManager(kcmBinary, cluster.kubeconfig, filepath.Join(dir, "kube-controller-manager.log"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = kcm.Stop(10 * time.Second) })

	By("applying the manifests of config/default, all but the Deployment")
	cluster.applyInstallManifests()

	By("starting two managers as the operator's ServiceAccount, with leader election")
	cluster.operatorKubeconfig = cluster.serviceAccountKubeconfig(operatorNamespace, operatorAccount, "operator.kubeconfig")
	for i := range 2 {
		cluster.startManager(fmt.Sprintf("manager-%d", i))
	}
	DeferCleanup(func() {
		for _, m := range cluster.managers {
			_ = m.Stop(10 * time.Second)
		}
	})
	Eventually(cluster.leader).WithTimeout(time.Minute).ShouldNot(BeNil())
	GinkgoWriter.Printf("e2e: cluster up in %s\n", time.Since(started).Round(time.Second))
})

// The logs, audit log and kubeconfigs are kept when something failed, to
// look into; otherwise they go.
var _ = ReportAfterSuite("removing the suite's directory", func(report Report) {
	if cluster != nil && report.SuiteSucceeded {
		_ = os.RemoveAll(cluster.dir)
	}
})

// startAPIServer starts etcd and kube-apiserver with an audit policy that
// records every request of the operator's ServiceAccount.
func (c *e2eCluster) startAPIServer() {
	policy := filepath.Join(c.dir, "audit-policy.yaml")
	Expect(os.WriteFile(policy, []byte(auditPolicy), 0o600)).To(Succeed())
	c.auditLog = filepath.Join(c.dir, "audit.log")
	c.env = &envtest.Environment{BinaryAssetsDirectory: c.assets, Scheme: scheme.Scheme}
	c.env.ControlPlane.GetAPIServer().Configure().
		Set("audit-policy-file", policy).
		Set("audit-log-path", c.auditLog).
		Set("audit-log-format", "json").
		// Every audit event is written before the request returns, so the
		// log is complete when the suite reads it.
		Set("audit-log-mode", "blocking")
	cfg, err := c.env.Start()
	Expect(err).NotTo(HaveOccurred())
	Expect(clientareav1alpha1.AddToScheme(scheme.Scheme)).To(Succeed())
	admin, err = client.New(cfg, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())
	c.kubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	Expect(testenv.WriteKubeconfig(c.env, envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, c.kubeconfig)).To(Succeed())
}

// auditPolicy records the metadata of the operator's requests, and nothing
// else: enough to find any it was refused.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: ["system:serviceaccount:` + operatorNamespace + `:` + operatorAccount + `"]
- level: None
`

// applyInstallManifests renders config/default with kustomize, as
// `make deploy` does, and applies every object but the Deployment (the
// managers run as processes here) with kubectl.
func (c *e2eCluster) applyInstallManifests() {
	rendered := run(testenv.RepoRoot(), kustomizeBinary(), "build", "config/default")
	var kept []string
	for _, doc := range strings.Split(rendered, "\n---\n") {
		var meta struct{ Kind string }
		Expect(yaml.Unmarshal([]byte(doc), &meta)).To(Succeed())
		if meta.Kind != "Deployment" && strings.TrimSpace(doc) != "" {
			kept = append(kept, doc)
		}
	}
	manifest := filepath.Join(c.dir, "install-without-deployment.yaml")
	Expect(os.WriteFile(manifest, []byte(strings.Join(kept, "\n---\n")), 0o600)).To(Succeed())
	kubectl("", "apply", "--server-side", "-f", manifest)
	kubectl("", "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	Expect(testenv.WaitForPolicies(ctx, admin)).To(Succeed())
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates with a
// token of the ServiceAccount (TokenRequest, as the kubelet gets for a pod).
func (c *e2eCluster) serviceAccountKubeconfig(namespace, name, file string) string {
	token := strings.TrimSpace(kubectl("", "create", "token", name, "-n", namespace, "--duration=24h"))
	cfg := c.env.Config
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kubeconfig.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	kubeconfig.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: name}
	kubeconfig.CurrentContext = "e2e"
	path := filepath.Join(c.dir, file)
	Expect(clientcmd.WriteToFile(*kubeconfig, path)).To(Succeed())
	return path
}

// startManager starts a manager process as the operator's ServiceAccount.
func (c *e2eCluster) startManager(name string) *testenv.Process {
	GinkgoHelper()
	metricsAddress := freeAddress()
	m, err := testenv.StartProcess(name, filepath.Join(c.dir, name+".log"), c.managerBinary,
		[]string{"KUBECONFIG=" + c.operatorKubeconfig},
		"--leader-elect",
		"--leader-election-namespace="+operatorNamespace,
		"--health-probe-bind-address="+freeAddress(),
		"--metrics-bind-address="+metricsAddress,
	)
	Expect(err).NotTo(HaveOccurred())
	c.metrics[name] = metricsAddress
	c.managers = append(c.managers, m)
	return m
}

// leader is the running manager that holds the lease: the one that logged
// that it acquired it and has not exited.
func (c *e2eCluster) leader() *testenv.Process {
	for _, m := range c.managers {
		select {
		case <-m.Exited():
			continue
		default:
		}
		if logContains(m.LogPath, `"msg":"Successfully acquired lease"`) {
			return m
		}
	}
	return nil
}

// freeAddress is a loopback address with a port that is free now.
func freeAddress() string {
	GinkgoHelper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer listener.Close()
	return listener.Addr().String()
}

func logContains(path, text string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(data), text)
}

// kubectlBinary is the kubectl built with the control plane (the same
// version), or the one on the PATH.
func kubectlBinary() string {
	if bin := filepath.Join(testenv.AssetsDir(), "kubectl"); fileExists(bin) {
		return bin
	}
	return "kubectl"
}

func kustomizeBinary() string {
	if bin := os.Getenv("KUSTOMIZE"); bin != "" {
		return bin
	}
	return filepath.Join(testenv.RepoRoot(), "bin", "kustomize")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// kubectl runs kubectl as the administrator, or as user (impersonated, as
// the client area's front end does) when user is not empty, and returns its
// output; it fails the spec when kubectl fails.
func kubectl(user string, args ...string) string {
	GinkgoHelper()
	out, err := tryKubectl(user, args...)
	Expect(err).NotTo(HaveOccurred(), "kubectl %s: %s", strings.Join(args, " "), out)
	return out
}

// tryKubectl is kubectl that returns the failure instead.
func tryKubectl(user string, args ...string) (string, error) {
	all := []string{"--kubeconfig", cluster.kubeconfig}
	if user != "" {
		all = append(all, "--as", user)
	}
	cmd := exec.Command(kubectlBinary(), append(all, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run runs a command in dir and returns its output; it fails the spec when
// the command fails.
func run(dir, name string, args ...string) string {
	GinkgoHelper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

// auditEvent is the part of an audit event the suite reads.
type auditEvent struct {
	Verb           string                    `json:"verb"`
	RequestURI     string                    `json:"requestURI"`
	User           struct{ Username string } `json:"user"`
	ResponseStatus struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"responseStatus"`
}

// operatorRequests reads the audit log: every request the operator made.
func operatorRequests() []auditEvent {
	GinkgoHelper()
	file, err := os.Open(cluster.auditLog)
	Expect(err).NotTo(HaveOccurred())
	defer file.Close()
	var events []auditEvent
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		var event auditEvent
		Expect(json.Unmarshal(scanner.Bytes(), &event)).To(Succeed())
		events = append(events, event)
	}
	Expect(scanner.Err()).NotTo(HaveOccurred())
	return events
}
