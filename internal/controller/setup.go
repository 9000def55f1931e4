// Package controller holds the reconcilers of the clientarea-operator, one
// narrow controller per concern, and the wiring that registers them with a
// manager.
package controller

import (
	"context"
	"fmt"
	"regexp"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/domainpassword"
	"clientarea.dev/clientarea-operator/internal/intern"
	"clientarea.dev/clientarea-operator/internal/numbering"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// Options configures the controllers.
type Options struct {
	// NamespacePrefix is prepended to an Account's name to name its
	// namespace. Empty means DefaultNamespacePrefix.
	NamespacePrefix string
	// Clock tells the time, for membership expiry (M5) and the domain
	// lifecycle (D4). Nil means the real clock.
	Clock clock.PassiveClock
	// Registrar registers and renews domains (D4). Nil means the built-in
	// registrar, which completes inside the cluster.
	Registrar registrar.Registrar
	// RegistrarTimeout bounds each registrar call. Zero means 30 seconds.
	RegistrarTimeout time.Duration
	// RegistryPollInterval is how often the message queue of each registry
	// the Registrar speaks to is read when it was empty (R3). Zero means
	// DefaultPollInterval.
	RegistryPollInterval time.Duration
	// OperatorUser is the user name the operator acts as, which it binds to
	// its namespace role in each account namespace. Empty means the user
	// the manager's connection authenticates as.
	OperatorUser string
	// StatusBatchPeriod is how long changes of related objects wait, so
	// that an aggregate status (a User's accounts, an Account's members, a
	// Contact's uses) is written once for a burst of them. Zero writes at
	// once; the manager's default is DefaultStatusBatchPeriod.
	StatusBatchPeriod time.Duration
	// WebServiceAccount is the client area front end's ServiceAccount,
	// "<namespace>/<name>", which may act as the domain logins (D5, W7).
	// Empty means DefaultWebServiceAccount.
	WebServiceAccount string
}

// validate reports an unusable option.
func (o Options) validate() error {
	if o.WebServiceAccount != "" {
		if _, err := parseServiceAccount(o.WebServiceAccount); err != nil {
			return err
		}
	}
	if o.NamespacePrefix == "" {
		return nil
	}
	if len(o.NamespacePrefix) > 13 || !namespacePrefixPattern.MatchString(o.NamespacePrefix) {
		return fmt.Errorf("namespace prefix %q: want at most 13 lowercase letters, digits and '-', starting with a letter or digit", o.NamespacePrefix)
	}
	return nil
}

var namespacePrefixPattern = regexp.MustCompile(`^[a-z0-9][-a-z0-9]*$`)

// CacheOptions restricts the manager's caches of Kubernetes kinds to the
// objects the operator manages, so that its memory does not grow with
// unrelated objects in the cluster.
func CacheOptions() cache.Options {
	managed := labels.NewSelector().Add(mustRequirement(clientareav1alpha1.ManagedByLabel, selection.Equals, clientareav1alpha1.ManagedByValue))
	return cache.Options{
		DefaultTransform: cacheTransform(),
		// A read of a kind the operator does not watch fails instead of
		// quietly starting an informer that caches every object of that
		// kind in the cluster for the rest of the process's life.
		ReaderFailOnMissingInformer: true,
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Namespace{}:      {Label: managed},
			&rbacv1.RoleBinding{}:    {Label: managed},
			&rbacv1.Role{}:           {Label: managed},
			&corev1.ServiceAccount{}: {Label: managed},
			// The web front end's impersonator role and each User's and
			// Account's access objects (webaccess_controller.go), never the
			// cluster's others.
			&rbacv1.ClusterRole{}:        {Label: managed},
			&rbacv1.ClusterRoleBinding{}: {Label: managed},
		},
	}
}

// cacheTransform trims each object before the cache keeps it: without its
// managed fields, which the operator never reads and which are most of a
// small object's size, and with the strings it shares with other cached
// objects (labels, namespace, owner, conditions, rules, subjects) stored
// once (docs/performance.md, the heap by type).
func cacheTransform() toolscache.TransformFunc {
	stripManagedFields := cache.TransformStripManagedFields()
	// At most 2 x 262,144 strings: at 1,000 accounts the caches share some
	// 50,000 (3 MB); the table stays a small part of what it saves as the
	// caches grow, and a larger cluster's table forgets what it has not
	// seen for two generations.
	shared := intern.NewTable(1 << 18)
	return func(obj any) (any, error) {
		obj, err := stripManagedFields(obj)
		if err != nil {
			return nil, err
		}
		shared.Object(obj)
		return obj, nil
	}
}

// passwordHashesAtOnce is how many domain passwords the manager hashes at
// once: one, in one reused work area (docs/performance.md).
const passwordHashesAtOnce = 1

// MemoryOutsideGoHeap is the most the controllers map outside the Go heap,
// in bytes: the work areas of the domain passwords' hashes. The Go
// runtime's memory limit leaves room for it.
func MemoryOutsideGoHeap() int64 {
	return passwordHashesAtOnce * domainpassword.WorkAreaBytes
}

// mustRequirement is a label requirement made of constants, which cannot
// be invalid.
func mustRequirement(key string, op selection.Operator, values ...string) labels.Requirement {
	requirement, err := labels.NewRequirement(key, op, values)
	if err != nil {
		panic(err)
	}
	return *requirement
}

// whoAmI asks the API server who the connection authenticates as (a
// SelfSubjectReview, which every authenticated user may make).
func whoAmI(ctx context.Context, cfg *rest.Config) (string, error) {
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	review, err := clientset.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("asking the API server who the operator is: %w", err)
	}
	return review.Status.UserInfo.Username, nil
}

// SetupWithManager registers the field indexes and every controller.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	opts, err := opts.withDefaults(ctx, mgr)
	if err != nil {
		return err
	}
	if err := setupIndexes(ctx, mgr); err != nil {
		return err
	}
	writer := newEventWriter(mgr.GetClient(), mgr.GetScheme())
	if err := mgr.Add(writer); err != nil {
		return fmt.Errorf("event writer: %w", err)
	}
	for _, c := range controllers(mgr, opts, writer) {
		if err := c.reconciler.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("%s controller: %w", c.name, err)
		}
		if domains, ok := c.reconciler.(*domainReconciler); ok {
			if err := addRegistryPollers(mgr, domains, opts); err != nil {
				return err
			}
		}
	}
	return nil
}

// addRegistryPollers reads the message queue of every registry the
// Registrar speaks to, on the leader only (R3).
func addRegistryPollers(mgr ctrl.Manager, domains *domainReconciler, opts Options) error {
	for _, poller := range pollersOf(opts.Registrar) {
		if err := mgr.Add(&registryPoller{poller: poller, domains: domains, reader: mgr.GetClient(), interval: opts.RegistryPollInterval}); err != nil {
			return fmt.Errorf("registry poller: %w", err)
		}
	}
	return nil
}

// withDefaults fills in what the options leave empty.
func (o Options) withDefaults(ctx context.Context, mgr ctrl.Manager) (Options, error) {
	if err := o.validate(); err != nil {
		return o, err
	}
	if o.NamespacePrefix == "" {
		o.NamespacePrefix = DefaultNamespacePrefix
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.WebServiceAccount == "" {
		o.WebServiceAccount = DefaultWebServiceAccount
	}
	if o.RegistrarTimeout == 0 {
		o.RegistrarTimeout = 30 * time.Second
	}
	if o.RegistryPollInterval == 0 {
		o.RegistryPollInterval = DefaultPollInterval
	}
	if o.Registrar == nil {
		o.Registrar = registrar.Builtin{Clock: o.Clock}
	}
	if o.OperatorUser == "" {
		user, err := whoAmI(ctx, mgr.GetConfig())
		if err != nil {
			return o, err
		}
		o.OperatorUser = user
	}
	return o, nil
}

// namedController is one of the operator's controllers.
type namedController struct {
	name       string
	reconciler interface{ SetupWithManager(ctrl.Manager) error }
}

// controllers are the operator's controllers, one narrow concern each.
func controllers(mgr ctrl.Manager, opts Options, writer *eventWriter) []namedController {
	c, apiReader := mgr.GetClient(), mgr.GetAPIReader()
	namespaces := accountNamespaces{prefix: opts.NamespacePrefix}
	// Each controller's recorder records a transition once (see onceRecorder)
	// through the event writer, and a warning through client-go's recorder.
	recorder := func(name string) events.EventRecorder {
		return recordNormalEventsOnce(writer.recorder(name, mgr.GetEventRecorder(name)))
	}
	claims := numbering.NewClaimStore(c, apiReader)
	domainRecorder := recorder("domain-controller")
	webServiceAccount, _ := parseServiceAccount(opts.WebServiceAccount) // validated in withDefaults
	return []namedController{
		{"user", &userReconciler{Client: c, APIReader: apiReader, Recorder: recorder("user-controller"), BatchPeriod: opts.StatusBatchPeriod,
			namespaces: namespaces}},
		{"account", &accountReconciler{Client: c, APIReader: apiReader, Recorder: recorder("account-controller"),
			CustomerNumbers: numbering.New(claims, opts.Clock, "customer", false), OperatorUser: opts.OperatorUser,
			BatchPeriod: opts.StatusBatchPeriod, namespaces: namespaces}},
		{"membership", &membershipReconciler{Client: c, Clock: opts.Clock, Recorder: recorder("membership-controller"), namespaces: namespaces}},
		{"contact", &contactReconciler{Client: c, BatchPeriod: opts.StatusBatchPeriod, namespaces: namespaces}},
		{"domain", &domainReconciler{Client: c, APIReader: apiReader, Registrar: opts.Registrar, RegistrarTimeout: opts.RegistrarTimeout,
			Clock: opts.Clock, Recorder: domainRecorder, namespaces: namespaces,
			invoices: &invoicer{Client: c, APIReader: apiReader, Numbers: numbering.New(claims, opts.Clock, "invoice", true), Recorder: domainRecorder}}},
		{"domain login", &domainLoginReconciler{Client: c, APIReader: apiReader, Clock: opts.Clock, Hasher: domainpassword.NewHasher(passwordHashesAtOnce), namespaces: namespaces}},
		{"web domain logins", &webDomainLoginsReconciler{Client: c, APIReader: apiReader, WebServiceAccount: webServiceAccount, BatchPeriod: opts.StatusBatchPeriod}},
		{"price list", &priceListReconciler{Client: c}},
		{"ownership transfer", &ownershipTransferReconciler{Client: c, Clock: opts.Clock, Recorder: recorder("ownershiptransfer-controller")}},
		{"web impersonator", &webImpersonatorReconciler{Client: c, APIReader: apiReader}},
		{"user web access", &userWebAccessReconciler{Client: c}},
		{"account web access", &accountWebAccessReconciler{Client: c}},
	}
}
