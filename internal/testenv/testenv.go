// Package testenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with this project's CRDs and admission policies installed, and
// hands out clients that act as a given user. Behaviour is always tested
// through a real API server, never through a fake client.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// KubeVersion is the version of the control plane that hack/build-controlplane.sh builds.
const KubeVersion = "1.37.2"

// Env is a running control plane.
type Env struct {
	*envtest.Environment
	// Config is an administrator's connection (system:masters).
	Config *rest.Config
	// Client is an administrator's client.
	Client client.Client
}

// RepoRoot is the root of this repository, found from this source file so
// that tests work from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir is where the control plane binaries are: KUBEBUILDER_ASSETS, or
// bin/k8s/<version> as built by `make controlplane`.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin", "k8s", KubeVersion)
}

func init() {
	// The typed clients of this package decode this API's kinds.
	if err := clientareav1alpha1.AddToScheme(scheme.Scheme); err != nil {
		panic(err)
	}
}

// Start starts etcd and kube-apiserver and installs the CRDs of config/crd,
// the admission policies of config/policies and the access ClusterRoles of
// config/rbac/access.
func Start(ctx context.Context) (*Env, error) {
	assets := AssetsDir()
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("no control plane in %s: run `make controlplane` (or set KUBEBUILDER_ASSETS): %w", assets, err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.Scheme,
	}
	e := &Env{Environment: env}
	cfg, err := env.Start()
	if err != nil {
		// Start leaves etcd and kube-apiserver running when, say, a CRD is
		// refused; stop them so that a failed run leaks no processes.
		return nil, e.stopAfter(fmt.Errorf("starting the control plane: %w", err))
	}
	e.Config = cfg
	if e.Client, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		return nil, e.stopAfter(err)
	}
	// The admission policies, the ClusterRoles that the operator binds for
	// owners and members, and the operator's own generated role bound to its
	// service account, as a deployment installs them.
	for _, dir := range []string{"policies", filepath.Join("rbac", "access")} {
		if err := ApplyDir(ctx, e.Client, filepath.Join(RepoRoot(), "config", dir)); err != nil {
			return nil, e.stopAfter(err)
		}
	}
	// The registries' credentials Role is in the operator's namespace, "system" until
	// kustomize names it.
	if err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "system"}}); err != nil {
		return nil, e.stopAfter(err)
	}
	for _, file := range []string{"role.yaml", "role_binding.yaml", "registry_credentials_role.yaml", "operator_namespace_role.yaml", "operator_cluster_rbac_policy.yaml", "operator_namespace_rbac_policy.yaml", "support.yaml"} {
		if err := ApplyFile(ctx, e.Client, filepath.Join(RepoRoot(), "config", "rbac", file)); err != nil {
			return nil, e.stopAfter(err)
		}
	}
	if err := WaitForPolicies(ctx, e.Client); err != nil {
		return nil, e.stopAfter(err)
	}
	return e, nil
}

// WaitForPolicies waits until the admission policies are in force: the API
// server takes a moment to load a new policy, and to publish the schema of
// a new CRD that a mutating policy needs, and refuses a create meanwhile.
// It tries creating a User (a dry run) until the API server sets the
// operator's finalizer on it.
func WaitForPolicies(ctx context.Context, c client.Client) error {
	var last error
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		user := &clientareav1alpha1.User{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "policy-probe-"},
			Spec:       clientareav1alpha1.UserSpec{Email: "policy-probe@example.com"},
		}
		last = c.Create(ctx, user, client.DryRunAll)
		if last == nil && slices.Contains(user.Finalizers, "clientarea.dev/user") {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the admission policies are not in force after a minute (last error: %v)", last)
}

func (e *Env) stopAfter(err error) error {
	if stopErr := e.Stop(); stopErr != nil {
		return fmt.Errorf("%w (and stopping failed: %v)", err, stopErr)
	}
	return err
}

// OperatorUser is the user name of the operator's service account in
// config/ (namespace clientarea-system, ServiceAccount
// clientarea-controller-manager), which the admission policies name.
const OperatorUser = "system:serviceaccount:clientarea-system:clientarea-controller-manager"

// OperatorGroups are the groups of the operator's service account.
var OperatorGroups = []string{"system:serviceaccounts", "system:serviceaccounts:clientarea-system"}

// ConfigAs returns a connection that acts as the given user, through
// impersonation: the API server authorises every request as that user, as
// it does for the client area's front end.
func (e *Env) ConfigAs(user string, groups ...string) *rest.Config {
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string{"system:authenticated"}, groups...)}
	return cfg
}

// ClientAs returns a client that acts as the given user (see ConfigAs).
func (e *Env) ClientAs(user string, groups ...string) (client.Client, error) {
	return client.New(e.ConfigAs(user, groups...), client.Options{Scheme: scheme.Scheme})
}
