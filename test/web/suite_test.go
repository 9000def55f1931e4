// Package web_test plays the first source document's story through the
// client area's pages in a real browser: headless Debian Chromium, driven
// from Go with chromedp, against a real kube-apiserver and etcd (envtest),
// the operator running in-process as its ServiceAccount, the development
// OpenID provider (internal/devoidc) and the client area (internal/web)
// acting as its own ServiceAccount clientarea-web with the RBAC of
// config/web.
//
// A screenshot of every page is kept in bin/test-artifacts/web/ (or
// $WEB_TEST_ARTIFACTS). UPDATE_SCREENSHOTS=1 also copies the README's ones
// to docs/screenshots/.
//
// Chromium: /usr/bin/chromium (Debian's package chromium, which .ci/run
// installs) or $CHROMIUM. Without it the suite fails and says so.
package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/transport"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/devoidc"
	"clientarea.dev/clientarea-operator/internal/devoidc/devenv"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

func TestWeb(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Client area browser suite")
}

const namespacePrefix = "account-"

// The story's people: their addresses are what they sign in with.
const (
	annaEmail  = "anna@werbeagentur-xyz.example"
	berndEmail = "bernd@werbeagentur-xyz.example"
)

var (
	ctx   context.Context
	env   *testenv.Env
	admin client.Client
	area  *devenv.ClientArea
	// browserCtx is the one Chromium process; each person browses in a
	// browser context of their own (their own cookies) under it.
	browserCtx context.Context
	// apiCalls records what the API server answered the client area.
	apiCalls = &callRecorder{}
	// artifacts is where the screenshots go.
	artifacts string
)

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var cancel context.CancelFunc
	ctx, cancel = context.WithCancel(context.Background())

	chromium := chromiumPath()
	artifacts = artifactsDir()
	Expect(os.MkdirAll(artifacts, 0o755)).To(Succeed())

	started := time.Now()
	var err error
	env, err = testenv.Start(ctx)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(env.Stop)
	admin = env.Client

	// Cleanups run last-registered first: the browser, the client area and
	// the manager stop before the control plane.
	stopOperator := startOperator(ctx)
	DeferCleanup(func() {
		cancel()
		stopOperator()
	})

	area, err = devenv.Start(ctx, devenv.Options{
		Admin: admin, AdminConfig: env.Config, Dir: GinkgoT().TempDir(),
		Users:         []devoidc.User{{Email: annaEmail, Name: "Anna Schmidt"}, {Email: berndEmail, Name: "Bernd Weber"}},
		WrapTransport: apiCalls.wrap,
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(area.Shutdown(ctx)).To(Succeed()) }, NodeTimeout(20*time.Second))

	allocCtx, stopAllocator := chromedp.NewExecAllocator(context.Background(), chromiumOptions(chromium)...)
	DeferCleanup(stopAllocator)
	var stopBrowser context.CancelFunc
	browserCtx, stopBrowser = chromedp.NewContext(allocCtx)
	DeferCleanup(stopBrowser)
	// The first run starts Chromium and binds it to the context it gets:
	// one without a timeout.
	Expect(chromedp.Do(browserCtx)).To(Succeed(), "starting %s headless", chromium)
	GinkgoWriter.Printf("control plane, operator, provider and client area up in %s; client area at %s, provider %s\n",
		time.Since(started).Round(time.Millisecond), area.URL, area.Provider.Issuer())

	// The provider's prices (I5).
	Expect(admin.Create(ctx, &clientareav1alpha1.PriceList{
		ObjectMeta: metav1.ObjectMeta{Name: "web-prices"},
		Spec: clientareav1alpha1.PriceListSpec{Currency: "EUR", TaxRate: 1900, Domains: []clientareav1alpha1.TLDPrice{
			{TLD: "de", RegistrationPerYear: 690, RenewalPerYear: 690},
		}},
	})).To(Succeed())
})

// chromiumPath is $CHROMIUM or Debian's /usr/bin/chromium; the suite fails
// at once, saying what to install, when there is none.
func chromiumPath() string {
	GinkgoHelper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		Fail(fmt.Sprintf("no Chromium at %s (%v): the browser tests need Debian's chromium "+
			"(`apt-get install chromium`, as .ci/run does) or CHROMIUM=<path of a Chromium binary>", path, err))
	}
	return path
}

// chromiumOptions starts Chromium headless, with nothing that reaches out
// to the network by itself (this machine's network is closed), and a fresh
// profile.
func chromiumOptions(path string) []chromedp.ExecAllocatorOption {
	GinkgoHelper()
	profile, err := os.MkdirTemp("", "clientarea-web-chromium-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, profile)
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 860),
	)
}

func artifactsDir() string {
	if dir := os.Getenv("WEB_TEST_ARTIFACTS"); dir != "" {
		return dir
	}
	return filepath.Join(testenv.RepoRoot(), "bin", "test-artifacts", "web")
}

// startOperator starts the operator's manager in this process, as the
// operator's ServiceAccount with only its generated role, as
// internal/controller's suite does.
func startOperator(ctx context.Context) (wait func()) {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(env.ConfigAs(testenv.OperatorUser, testenv.OperatorGroups...), ctrl.Options{
		Scheme:     scheme.Scheme,
		Cache:      controller.CacheOptions(),
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(controller.SetupWithManager(ctx, mgr, controller.Options{
		NamespacePrefix: namespacePrefix, StatusBatchPeriod: controller.DefaultStatusBatchPeriod,
	})).To(Succeed())
	stopped := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(stopped)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
	return func() { <-stopped }
}

// apiCall is one request of the client area to the API server, with the
// identity it acted as and the API server's answer.
type apiCall struct {
	User, Method, Path string
	Status             int
}

// callRecorder records the client area's requests to the API server.
type callRecorder struct {
	mu    sync.Mutex
	calls []apiCall
}

func (r *callRecorder) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		call := apiCall{User: req.Header.Get(transport.ImpersonateUserHeader), Method: req.Method, Path: req.URL.Path}
		if err == nil {
			call.Status = resp.StatusCode
		}
		r.mu.Lock()
		r.calls = append(r.calls, call)
		r.mu.Unlock()
		return resp, err
	})
}

// since returns the calls recorded after the first n.
func (r *callRecorder) since(n int) []apiCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]apiCall(nil), r.calls[min(n, len(r.calls)):]...)
}

func (r *callRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// eventually polls for what the operator does in the background.
func eventually(actual any) AsyncAssertion {
	return Eventually(actual).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond)
}

var _ = ReportAfterEach(func(report SpecReport) {
	GinkgoWriter.Printf("step %q took %s\n", report.LeafNodeText, report.RunTime.Round(time.Millisecond))
})
