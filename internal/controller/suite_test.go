package controller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/registrar"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The controllers run in a manager against a real kube-apiserver and etcd;
// tests act through the API server as an administrator or as the user a rule
// concerns.
func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers suite")
}

const namespacePrefix = "account-"

var (
	env       *testenv.Env
	k8sClient client.Client
	ctx       context.Context
	// operatorWrites counts every write the operator's client sends (G4).
	operatorWrites atomic.Int64
	// operatorForbidden counts the operator's writes that its role did not allow.
	operatorForbidden atomic.Int64
	// testClock is the operator's clock; tests move it forward past expiries.
	testClock = clocktesting.NewFakePassiveClock(time.Now())
	// testRegistrar is the built-in registrar on testClock, which tests can
	// make fail (D4).
	testRegistrar = &fakeRegistrar{Registrar: registrar.Builtin{Clock: testClock}, failures: map[string]int{}}
)

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var cancel context.CancelFunc
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	env, err = testenv.Start(ctx)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(env.Stop)
	k8sClient = env.Client

	startTestRegistry()
	// Cleanups run last-registered first: the manager stops before the
	// control plane, which would otherwise wait on the manager's watches.
	stop := startOperator(ctx, &operatorWrites)
	DeferCleanup(func() {
		cancel()
		stop()
	})

	// The provider's prices for the top-level domains the tests register
	// (I5); a test that needs a missing price uses another TLD.
	Expect(k8sClient.Create(ctx, &clientareav1alpha1.PriceList{
		ObjectMeta: metav1.ObjectMeta{Name: "suite-prices"},
		Spec: clientareav1alpha1.PriceListSpec{Currency: "EUR", TaxRate: 1900, Domains: []clientareav1alpha1.TLDPrice{
			{TLD: "de", RegistrationPerYear: deRegistration, RenewalPerYear: deRenewal},
			{TLD: "co.uk", RegistrationPerYear: 990, RenewalPerYear: 990},
			{TLD: eppTLD, RegistrationPerYear: euRegistration, RenewalPerYear: euRenewal, TransferPerYear: ptr.To[clientareav1alpha1.AmountMinor](euTransfer)},
		}},
	})).To(Succeed())
})

// The suite's prices of a .de domain per year, in cents.
const deRegistration, deRenewal = 690, 790

// The suite's prices of a domain of the test registry's TLD, in cents.
const euRegistration, euRenewal, euTransfer = 500, 600, 450

// startOperator starts the operator's manager, as the operator's service
// account with only its generated role (config/rbac/role.yaml): what it
// lacks, it cannot do here either (G3). Every write it makes is counted in
// writes. The returned function waits for the manager to stop after ctx ends.
func startOperator(ctx context.Context, writes *atomic.Int64) (wait func()) {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(env.ConfigAs(testenv.OperatorUser, testenv.OperatorGroups...), ctrl.Options{
		Scheme:  scheme.Scheme,
		Cache:   controller.CacheOptions(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(config, options)
			if err != nil {
				return nil, err
			}
			return countWrites(c, writes), nil
		},
		// A second manager in the same process reuses the controller names;
		// reconciles run 8 at a time, as the manager's default
		// (--max-concurrent-reconciles).
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true), MaxConcurrentReconciles: 8},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(controller.SetupWithManager(ctx, mgr, controller.Options{
		NamespacePrefix: namespacePrefix, Clock: testClock, Registrar: suiteRegistrar, RegistrarTimeout: 5 * time.Second,
		RegistryPollInterval: 200 * time.Millisecond,
		StatusBatchPeriod:    controller.DefaultStatusBatchPeriod, // as the manager's default
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

var _ = AfterEach(func() {
	Expect(operatorForbidden.Load()).To(BeZero(), "G3: the operator, with only its generated role, was forbidden a write it needed")
})

// statusWrites counts the operator's status writes by object (objectKey).
var statusWrites sync.Map

func objectKey(obj client.Object) string {
	return fmt.Sprintf("%T %s/%s", obj, obj.GetNamespace(), obj.GetName())
}

// statusWritesOf is how often the operator has written obj's status.
func statusWritesOf(obj client.Object) int64 {
	if counter, ok := statusWrites.Load(objectKey(obj)); ok {
		return counter.(*atomic.Int64).Load()
	}
	return 0
}

// countWrites wraps the operator's client so that every write it makes,
// status writes included, is counted.
func countWrites(c client.WithWatch, writes *atomic.Int64) client.WithWatch {
	count := func(verb string, obj client.Object) error {
		if err := injectedFault(verb, obj); err != nil {
			GinkgoWriter.Printf("operator write failed on purpose: %s %T %s/%s\n", verb, obj, obj.GetNamespace(), obj.GetName())
			return err
		}
		writes.Add(1)
		if strings.HasSuffix(verb, " status") {
			counter, _ := statusWrites.LoadOrStore(objectKey(obj), new(atomic.Int64))
			counter.(*atomic.Int64).Add(1)
		}
		GinkgoWriter.Printf("operator write: %s %T %s/%s\n", verb, obj, obj.GetNamespace(), obj.GetName())
		return nil
	}
	checked := func(err error) error {
		if apierrors.IsForbidden(err) {
			operatorForbidden.Add(1)
			GinkgoWriter.Printf("operator write forbidden: %v\n", err)
		}
		return err
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := count("create", obj); err != nil {
				return err
			}
			return checked(c.Create(ctx, obj, opts...))
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if err := count("update", obj); err != nil {
				return err
			}
			return checked(c.Update(ctx, obj, opts...))
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := count("patch", obj); err != nil {
				return err
			}
			return checked(c.Patch(ctx, obj, patch, opts...))
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			if err := count("deletecollection", obj); err != nil {
				return err
			}
			return checked(c.DeleteAllOf(ctx, obj, opts...))
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := count("delete", obj); err != nil {
				return err
			}
			return checked(c.Delete(ctx, obj, opts...))
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := count("update "+sub, obj); err != nil {
				return err
			}
			return checked(c.SubResource(sub).Update(ctx, obj, opts...))
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := count("patch "+sub, obj); err != nil {
				return err
			}
			return checked(c.SubResource(sub).Patch(ctx, obj, patch, opts...))
		},
	})
}

// eventually polls fast: the controllers react within milliseconds here.
func eventually(actual any) AsyncAssertion {
	return Eventually(actual).WithTimeout(20 * time.Second).WithPolling(50 * time.Millisecond)
}

// consistently checks that something stays true for a while.
func consistently(actual any) AsyncAssertion {
	return Consistently(actual).WithTimeout(2 * time.Second).WithPolling(100 * time.Millisecond)
}

// waitForQuiet waits until the operator has converged: no write for twice
// the status batch period, watched without gaps, since a write may schedule
// the next one a batch period later (an Account's change reaches its Users'
// status that way).
func waitForQuiet() {
	GinkgoHelper()
	const quiet = 2 * controller.DefaultStatusBatchPeriod
	last, since := operatorWrites.Load(), time.Now()
	Eventually(func() time.Duration {
		if now := operatorWrites.Load(); now != last {
			last, since = now, time.Now()
		}
		return time.Since(since)
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).
		Should(BeNumerically(">=", quiet), "the operator keeps writing")
}

// A fault makes one chosen write of the operator fail, as if the operator
// had died just before it: the reconcile ends there and starts again from
// what the API server holds.
var (
	faultMu sync.Mutex
	fault   func(verb string, obj client.Object) error
)

// failOnce makes the skip+1-th write of verb on an object of obj's type
// (and name, when obj has one) fail once.
func failOnce(verb string, obj client.Object, skip int) { failWrites(verb, obj, skip, 1) }

// failWrites makes the writes of verb on an object of obj's type (and
// name, when obj has one) fail times times, after the first skip. A fault
// still pending when the spec ends is dropped.
func failWrites(verb string, obj client.Object, skip, times int) {
	faultMu.Lock()
	defer faultMu.Unlock()
	seen := 0
	fault = func(gotVerb string, got client.Object) error {
		if gotVerb != verb || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", obj) || (obj.GetName() != "" && got.GetName() != obj.GetName()) {
			return nil
		}
		if seen++; seen <= skip {
			return nil
		}
		if seen == skip+times {
			fault = nil
		}
		return errors.New("injected failure: the operator died here")
	}
	DeferCleanup(func() {
		faultMu.Lock()
		defer faultMu.Unlock()
		fault = nil
	})
}

// faultPending tells whether an injected failure has yet to happen.
func faultPending() bool {
	faultMu.Lock()
	defer faultMu.Unlock()
	return fault != nil
}

// crashWhen makes the operator die at the first write for which dies is
// true: that write and every write for a moment after it fail, so that
// nothing the dying reconcile would still have written (its deferred status
// patch included) reaches the API server. Then it resumes, as a restarted
// operator, from what the API server holds. crashed tells whether it died.
func crashWhen(dies func(verb string, obj client.Object) bool) (crashed func() bool) {
	var deadUntil atomic.Pointer[time.Time]
	faultMu.Lock()
	defer faultMu.Unlock()
	fault = func(verb string, obj client.Object) error {
		if until := deadUntil.Load(); until != nil {
			if time.Now().Before(*until) {
				return errors.New("injected failure: the operator is down")
			}
			fault = nil
			return nil
		}
		if !dies(verb, obj) {
			return nil
		}
		until := time.Now().Add(300 * time.Millisecond)
		deadUntil.Store(&until)
		return errors.New("injected failure: the operator died here")
	}
	return func() bool { return deadUntil.Load() != nil }
}

func injectedFault(verb string, obj client.Object) error {
	faultMu.Lock()
	defer faultMu.Unlock()
	if fault == nil {
		return nil
	}
	return fault(verb, obj)
}

// fakeRegistrar is the suite's registrar (the built-in one, or the EPP
// registrar against the test registry), except that it fails the next
// registrations and renewals of a domain name as often as a test asks.
type fakeRegistrar struct {
	registrar.Registrar
	mu       sync.Mutex
	failures map[string]int
	calls    map[string]int
	hangs    map[string]chan struct{}
}

// hang makes calls for name block until release is called (or the call's
// context ends): a registry that does not answer, then answers late.
func (f *fakeRegistrar) hang(name string) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hangs == nil {
		f.hangs = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.hangs[name] = ch
	return func() { close(ch) }
}

func (f *fakeRegistrar) failNext(name string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[name] = times
}

// callsFor is how often the registry was asked to register or renew name.
func (f *fakeRegistrar) callsFor(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeRegistrar) call(ctx context.Context, name string) error {
	f.mu.Lock()
	hang := f.hangs[name]
	f.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
	if f.failures[name] > 0 {
		f.failures[name]--
		return errors.New("registry unavailable")
	}
	return nil
}

func (f *fakeRegistrar) Register(ctx context.Context, d registrar.Domain) (registrar.Registration, error) {
	if err := f.call(ctx, d.Name); err != nil {
		return registrar.Registration{}, err
	}
	return f.Registrar.Register(ctx, d)
}

func (f *fakeRegistrar) Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (registrar.Registration, error) {
	if err := f.call(ctx, name); err != nil {
		return registrar.Registration{}, err
	}
	return f.Registrar.Renew(ctx, name, expiresAt, years)
}

// moveClockFor lets a test move the operator's clock and sets it back to now
// when the test ends, so that no later test (a restart that reconciles every
// object, say) finds renewals or expiries that it did not cause.
func moveClockFor(now time.Time) {
	DeferCleanup(func() { testClock.SetTime(now) })
}

// Pollers is the message queue of the suite's registrar, if it has one, so
// that the operator reads it through the wrapper (R3).
func (f *fakeRegistrar) Pollers() []registrar.Poller {
	if p, ok := f.Registrar.(registrar.Poller); ok {
		return []registrar.Poller{p}
	}
	return nil
}
