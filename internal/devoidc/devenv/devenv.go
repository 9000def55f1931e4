// Package devenv runs the client area on a local control plane, as
// `make dev` (hack/dev) and the browser tests (test/web) need it: the
// development OpenID provider (internal/devoidc) and the client area
// (internal/web) in this process, on loopback, the client area acting as
// its own ServiceAccount (clientarea-web, with the RBAC of config/web) and
// never as an administrator.
//
// Like internal/devoidc, it must never be in a deployed binary; cmd/web
// does not import it (checked by internal/devoidc's tests and .ci/run).
package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"clientarea.dev/clientarea-operator/internal/devoidc"
	"clientarea.dev/clientarea-operator/internal/testenv"
	"clientarea.dev/clientarea-operator/internal/web"
)

// The client area's identity, as config/web ships it.
const (
	WebNamespace      = "clientarea-system"
	WebServiceAccount = "clientarea-web"
	// WebUser is the ServiceAccount's user name.
	WebUser = "system:serviceaccount:" + WebNamespace + ":" + WebServiceAccount
)

// webRBAC are the files of config/web that give the client area its
// identity and its only permissions (impersonating claimed addresses,
// reading a domain's password hash), in the order they are applied.
// impersonator_role.yaml is the ClusterRole whose rules the operator keeps.
var webRBAC = []string{"service_account.yaml", "impersonator_role.yaml", "impersonator_role_binding.yaml",
	"domain_credentials_role.yaml", "domain_credentials_role_binding.yaml"}

// InstallWebRBAC creates the namespace clientarea-system when it is missing
// and the client area's ServiceAccount, ClusterRole and ClusterRoleBinding
// from config/web, as `make deploy` does. Objects that exist are left as
// they are: the ClusterRole's rules are the operator's, which it may have
// written already.
func InstallWebRBAC(ctx context.Context, admin client.Client) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: WebNamespace}}
	if err := admin.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the namespace %s: %w", WebNamespace, err)
	}
	dir := filepath.Join(testenv.RepoRoot(), "config", "web")
	for _, file := range webRBAC {
		objects, err := testenv.ReadManifestFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("the client area's RBAC: %w", err)
		}
		for _, obj := range objects {
			if err := admin.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	return nil
}

// tokenLifetime is how long a requested token lives; it is renewed at half
// of that.
const tokenLifetime = time.Hour

// ServiceAccountConfig returns a connection to the API server of admin (its
// address and CA only, none of its credentials) that authenticates as the
// client area's ServiceAccount, with a token from the TokenRequest API that
// is kept in tokenFile and renewed there until ctx ends (client-go reads
// the file again every minute).
func ServiceAccountConfig(ctx context.Context, admin *rest.Config, tokenFile string) (*rest.Config, error) {
	clientset, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	renew := func(ctx context.Context) error {
		request := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To(int64(tokenLifetime / time.Second)),
		}}
		token, err := clientset.CoreV1().ServiceAccounts(WebNamespace).CreateToken(ctx, WebServiceAccount, request, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("a token of the ServiceAccount %s/%s: %w", WebNamespace, WebServiceAccount, err)
		}
		return writeFileAtomic(tokenFile, []byte(token.Status.Token))
	}
	if err := renew(ctx); err != nil {
		return nil, err
	}
	go func() {
		ticker := time.NewTicker(tokenLifetime / 2)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if err := renew(ctx); err != nil && ctx.Err() == nil {
					slog.Error("renewing the client area's token", "error", err)
				}
			}
		}
	}()
	return &rest.Config{
		Host:            admin.Host,
		APIPath:         admin.APIPath,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CAFile: admin.CAFile, ServerName: admin.ServerName},
		BearerTokenFile: tokenFile,
		UserAgent:       "clientarea-web (development)",
		QPS:             100,
		Burst:           200,
	}, nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Options configures Start.
type Options struct {
	// Admin and AdminConfig are an administrator's client and connection,
	// used only to install the client area's RBAC and to request its
	// ServiceAccount's token; the client area never acts with them.
	Admin       client.Client
	AdminConfig *rest.Config
	// Users are the sample users of the login page.
	Users []devoidc.User
	// AllowOtherAddresses lets the login page sign in any address.
	AllowOtherAddresses bool
	// Listen is the client area's loopback address; "" is 127.0.0.1 on a
	// free port. Its URL is http://localhost:<port>.
	Listen string
	// ProviderListen is the provider's loopback address; "" is 127.0.0.1
	// on a free port.
	ProviderListen string
	// Dir holds the ServiceAccount's token.
	Dir string
	// WrapTransport, when set, wraps the client area's connection to the
	// API server (after the client area has set Impersonate-User): tests
	// see with it what the API server answered to whom.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Clock and the session timeouts go to web.Config.
	Clock           clock.PassiveClock
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
}

// ClientArea is a running client area with its development provider.
type ClientArea struct {
	// URL is where the browser reaches the client area.
	URL string
	// Provider is the development OpenID provider it signs in with.
	Provider *devoidc.Provider
	// Kube is the client area's own connection (its ServiceAccount).
	Kube   *rest.Config
	server *http.Server
	served chan error
	cancel context.CancelFunc
}

// Start installs the client area's RBAC, then starts the development
// provider and the client area, both on loopback.
func Start(ctx context.Context, opts Options) (*ClientArea, error) {
	if err := InstallWebRBAC(ctx, opts.Admin); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	kube, err := ServiceAccountConfig(ctx, opts.AdminConfig, filepath.Join(opts.Dir, "clientarea-web.token"))
	if err != nil {
		cancel()
		return nil, err
	}
	if opts.WrapTransport != nil {
		kube.Wrap(opts.WrapTransport)
	}

	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	listener, err := net.Listen("tcp", listen)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("the client area's address: %w", err)
	}
	url := fmt.Sprintf("http://localhost:%d", listener.Addr().(*net.TCPAddr).Port)

	provider, err := devoidc.Start(devoidc.Config{
		Addr: opts.ProviderListen, Users: opts.Users, AllowOtherAddresses: opts.AllowOtherAddresses,
		ClientID: "clientarea-web", RedirectURLs: []string{url + "/callback"},
	})
	if err != nil {
		cancel()
		_ = listener.Close()
		return nil, err
	}
	stopProvider := func() {
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = provider.Shutdown(shutdownCtx)
	}

	handler, err := web.New(ctx, web.Config{
		Kube: kube, Issuer: provider.Issuer(), ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(),
		URL: url, Clock: opts.Clock, SessionIdle: opts.SessionIdle, SessionAbsolute: opts.SessionAbsolute,
	})
	if err != nil {
		cancel()
		stopProvider()
		_ = listener.Close()
		return nil, fmt.Errorf("the client area: %w", err)
	}
	c := &ClientArea{URL: url, Provider: provider, Kube: kube, served: make(chan error, 1), cancel: cancel}
	c.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { c.served <- c.server.Serve(listener) }()
	return c, nil
}

// Shutdown stops the client area, then its provider, and the token's renewal.
func (c *ClientArea) Shutdown(ctx context.Context) error {
	defer c.cancel()
	err := c.server.Shutdown(ctx)
	if served := <-c.served; !errors.Is(served, http.ErrServerClosed) && err == nil {
		err = served
	}
	return errors.Join(err, c.Provider.Shutdown(ctx))
}

// SampleUsers reads the Users of a manifest file (config/samples/02_users.yaml)
// as the login page's sample users: spec.email and spec.displayName.
func SampleUsers(file string) ([]devoidc.User, error) {
	objects, err := testenv.ReadManifestFile(file)
	if err != nil {
		return nil, err
	}
	var users []devoidc.User
	for _, obj := range objects {
		if obj.GetKind() != "User" {
			continue
		}
		spec, _ := obj.Object["spec"].(map[string]any)
		email, _ := spec["email"].(string)
		name, _ := spec["displayName"].(string)
		if email != "" {
			users = append(users, devoidc.User{Email: email, Name: name})
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no User with an e-mail address", file)
	}
	return users, nil
}
