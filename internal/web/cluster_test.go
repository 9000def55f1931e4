package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/registrar"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The tests that touch the API server run against a real kube-apiserver
// (envtest) with the operator running in this process, as its own
// ServiceAccount with its generated role, and the front end connected as
// its own ServiceAccount (clientarea-web, a token from the TokenRequest
// API) bound to the impersonator role the operator keeps: exactly what a
// deployment has. The control plane starts once, for the first test that
// needs it.
type cluster struct {
	env *testenv.Env
	// admin is an administrator's client, for fixtures and checks.
	admin client.Client
	// web is the front end's own connection: its ServiceAccount's token.
	web  *rest.Config
	kube client.Client
	stop func()
}

const (
	webNamespace      = "clientarea-system"
	webServiceAccount = "clientarea-web"
	namespacePrefix   = "account-"
)

var (
	clusterOnce sync.Once
	shared      *cluster
	clusterErr  error
)

func TestMain(m *testing.M) {
	logger := logr.Discard()
	if os.Getenv("WEB_TEST_LOG") != "" {
		logger = zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true))
	}
	logf.SetLogger(logger)
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

// needCluster is the running control plane and operator, started once.
func needCluster(t testing.TB) *cluster {
	t.Helper()
	clusterOnce.Do(func() { shared, clusterErr = startCluster() })
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	return shared
}

func startCluster() (*cluster, error) {
	ctx, cancel := context.WithCancel(context.Background())
	env, err := testenv.Start(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	c := &cluster{env: env, admin: env.Client}
	stopOperator, err := c.install(ctx)
	c.stop = func() {
		cancel()
		if stopOperator != nil {
			stopOperator()
		}
		_ = env.Stop()
	}
	if err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// install applies what a deployment applies for the front end, starts the
// operator and connects the front end as its ServiceAccount.
func (c *cluster) install(ctx context.Context) (func(), error) {
	for _, file := range []string{"rbac/operator_cluster_rbac_policy.yaml", "web/impersonator_role.yaml", "web/impersonator_role_binding.yaml"} {
		if err := testenv.ApplyFile(ctx, c.admin, filepath.Join(testenv.RepoRoot(), "config", file)); err != nil {
			return nil, err
		}
	}
	stop, err := startOperator(ctx, c.env)
	if err != nil {
		return nil, err
	}
	if c.web, err = c.serviceAccountConfig(ctx); err != nil {
		return stop, err
	}
	if c.kube, err = newImpersonatingClient(c.web, client.Options{Scheme: Scheme()}); err != nil {
		return stop, err
	}
	prices := &clientareav1alpha1.PriceList{
		ObjectMeta: metav1.ObjectMeta{Name: "web-test-prices"},
		Spec: clientareav1alpha1.PriceListSpec{Currency: "EUR", TaxRate: 1900, Domains: []clientareav1alpha1.TLDPrice{
			{TLD: "de", RegistrationPerYear: 690, RenewalPerYear: 790},
		}},
	}
	return stop, c.admin.Create(ctx, prices)
}

// startOperator runs the operator's controllers as the operator's
// ServiceAccount (with only its generated role), writing statuses at once.
func startOperator(ctx context.Context, env *testenv.Env) (func(), error) {
	mgr, err := ctrl.NewManager(env.ConfigAs(testenv.OperatorUser, testenv.OperatorGroups...), ctrl.Options{
		Scheme:     scheme.Scheme,
		Cache:      controller.CacheOptions(),
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, err
	}
	err = controller.SetupWithManager(ctx, mgr, controller.Options{
		NamespacePrefix: namespacePrefix, Registrar: registrar.Builtin{Clock: clock.RealClock{}}, RegistrarTimeout: 5 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "the operator stopped:", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, errors.New("the operator's cache did not sync")
	}
	return func() { <-stopped }, nil
}

// serviceAccountConfig is a connection as the front end's ServiceAccount,
// with a token from the TokenRequest API and no administrator behind it.
func (c *cluster) serviceAccountConfig(ctx context.Context) (*rest.Config, error) {
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: webNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: webServiceAccount, Namespace: webNamespace}},
	} {
		if err := client.IgnoreAlreadyExists(c.admin.Create(ctx, obj)); err != nil {
			return nil, err
		}
	}
	clientset, err := kubernetes.NewForConfig(c.env.Config)
	if err != nil {
		return nil, err
	}
	token, err := clientset.CoreV1().ServiceAccounts(webNamespace).CreateToken(ctx, webServiceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](6 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	cfg := rest.AnonymousClientConfig(c.env.Config)
	cfg.BearerToken = token.Status.Token
	return cfg, nil
}

// server is a client area on the cluster, as its ServiceAccount.
func (c *cluster) server(t testing.TB) (*Server, *provider) {
	t.Helper()
	return testServer(t, c.kube, nil)
}

var uniqueCounter atomic.Int64

// unique is a name no other test uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%10000, uniqueCounter.Add(1))
}

// eventually retries f until it succeeds, for what the operator does in
// its own time.
func eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still %v after 30s", what, err)
}

// newCustomer creates a User (as an order does) and waits until the front
// end may act as its address: the operator has claimed it and granted it
// the reading of its User.
func (c *cluster) newCustomer(t testing.TB, name string) (userName, address string) {
	t.Helper()
	userName = unique(name)
	address = userName + "@customer.example"
	user := &clientareav1alpha1.User{
		ObjectMeta: metav1.ObjectMeta{Name: userName},
		Spec:       clientareav1alpha1.UserSpec{Email: clientareav1alpha1.EmailAddress(address)},
	}
	if err := c.admin.Create(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the front end may act as "+address, func() error {
		return c.kube.Get(WithUser(context.Background(), address), client.ObjectKey{Name: userName}, &clientareav1alpha1.User{})
	})
	return userName, address
}

// newAccount creates an account owned by owner and waits until it is ready
// and its owner may read it.
func (c *cluster) newAccount(t testing.TB, owner, displayName string) (name, namespace string) {
	t.Helper()
	account := &clientareav1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Name: unique("acct")},
		Spec: clientareav1alpha1.AccountSpec{
			Owner: clientareav1alpha1.ObjectName(owner), Type: clientareav1alpha1.AccountTypeCompany, DisplayName: displayName,
			Contact: clientareav1alpha1.ContactDetails{Name: displayName, City: "Berlin", CountryCode: "DE", Email: "billing@customer.example"},
		},
	}
	if err := c.admin.Create(context.Background(), account); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the account "+account.Name+" has its namespace and customer number", func() error {
		if err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(account), account); err != nil {
			return err
		}
		if account.Status.Namespace == "" || account.Status.CustomerNumber == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	// The owner reads the account as himself by a ClusterRole of its own,
	// which its own controller writes (A7): the pages need it too.
	user := &clientareav1alpha1.User{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Name: owner}, user); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the owner may read the account "+account.Name+" as himself", func() error {
		return c.kube.Get(WithUser(context.Background(), string(user.Spec.Email)), client.ObjectKeyFromObject(account), &clientareav1alpha1.Account{})
	})
	return account.Name, account.Status.Namespace
}

// waitForAccounts waits until the User lists these accounts (U2).
func (c *cluster) waitForAccounts(t testing.TB, userName string, accounts ...string) {
	t.Helper()
	eventually(t, userName+"'s accounts", func() error {
		user := &clientareav1alpha1.User{}
		if err := c.admin.Get(context.Background(), client.ObjectKey{Name: userName}, user); err != nil {
			return err
		}
		for _, want := range accounts {
			i := findAccount(toInfos(user.Status.Accounts), want)
			if i == nil || i.Namespace == "" || i.CustomerNumber == 0 || i.DisplayName == "" {
				return fmt.Errorf("%s is not listed with namespace, name and number yet: %+v", want, user.Status.Accounts)
			}
		}
		return nil
	})
}

func toInfos(accounts []clientareav1alpha1.UserAccount) []accountInfo {
	infos := make([]accountInfo, 0, len(accounts))
	for _, a := range accounts {
		infos = append(infos, accountInfo{Name: a.Account, Namespace: a.Namespace, DisplayName: a.DisplayName, CustomerNumber: a.CustomerNumber})
	}
	return infos
}

// member gives a User permissions in an account, and waits until granted.
func (c *cluster) member(t testing.TB, namespace, userName string, permissions ...clientareav1alpha1.Permission) {
	t.Helper()
	m := &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: unique("member"), Namespace: namespace},
		Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(userName), Permissions: permissions},
	}
	if err := c.admin.Create(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the membership of "+userName, func() error {
		if err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(m), m); err != nil {
			return err
		}
		if m.Status.State != clientareav1alpha1.MembershipActive {
			return fmt.Errorf("state %q", m.Status.State)
		}
		return nil
	})
}

// signedIn is a browser with a session for a customer, made directly (the
// OpenID sign-in has its own tests): the address and its User, as the
// sign-in finds them.
func signedIn(t testing.TB, s *Server, address string) *browser {
	t.Helper()
	userName, err := s.customer(context.Background(), address)
	if err != nil {
		t.Fatalf("the customer %s: %v", address, err)
	}
	b := newBrowser(t, s)
	b.sessionFor(address, userName)
	return b
}
