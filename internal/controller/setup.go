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
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

const (
	// ManagedByLabel marks every object the operator creates, so that its
	// caches hold only its own objects.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "clientarea-operator"
	// AccountLabel names the Account an object belongs to.
	AccountLabel = "clientarea.dev/account"

	// DefaultNamespacePrefix is prepended to an Account's name to name its
	// namespace (A2).
	DefaultNamespacePrefix = "account-"

	// indexAccountOwner indexes Accounts by spec.owner.
	indexAccountOwner = "spec.owner"
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
	// OperatorUser is the user name the operator acts as, which it binds to
	// its namespace role in each account namespace. Empty means the user
	// the manager's connection authenticates as.
	OperatorUser string
	// StatusBatchPeriod is how long changes of related objects wait, so
	// that an aggregate status (a User's accounts, an Account's members, a
	// Contact's uses) is written once for a burst of them. Zero writes at
	// once; the manager's default is DefaultStatusBatchPeriod.
	StatusBatchPeriod time.Duration
}

// Validate reports an unusable option.
func (o Options) Validate() error {
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
	managed := labels.NewSelector().Add(mustRequirement(ManagedByLabel, selection.Equals, ManagedByValue))
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Namespace{}:      {Label: managed},
			&rbacv1.RoleBinding{}:    {Label: managed},
			&rbacv1.Role{}:           {Label: managed},
			&corev1.ServiceAccount{}: {Label: managed},
		},
	}
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

// WhoAmI asks the API server who the connection authenticates as (a
// SelfSubjectReview, which every authenticated user may make).
func WhoAmI(ctx context.Context, cfg *rest.Config) (string, error) {
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
	if err := opts.Validate(); err != nil {
		return err
	}
	if opts.NamespacePrefix == "" {
		opts.NamespacePrefix = DefaultNamespacePrefix
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.RegistrarTimeout == 0 {
		opts.RegistrarTimeout = 30 * time.Second
	}
	if opts.Registrar == nil {
		opts.Registrar = registrar.Builtin{Clock: opts.Clock}
	}
	if opts.OperatorUser == "" {
		user, err := WhoAmI(ctx, mgr.GetConfig())
		if err != nil {
			return err
		}
		opts.OperatorUser = user
	}
	if err := setupIndexes(ctx, mgr); err != nil {
		return err
	}
	// Each controller's recorder records a transition once (see onceRecorder).
	recorder := func(name string) events.EventRecorder { return recordNormalEventsOnce(mgr.GetEventRecorder(name)) }
	accounts := &AccountReconciler{
		Client:          mgr.GetClient(),
		APIReader:       mgr.GetAPIReader(),
		NamespacePrefix: opts.NamespacePrefix,
		Recorder:        recorder("account-controller"),
		CustomerNumbers: &Sequence{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: opts.Clock, Name: "customer"},
		OperatorUser:    opts.OperatorUser,
		BatchPeriod:     opts.StatusBatchPeriod,
	}
	if err := accounts.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("account controller: %w", err)
	}
	users := &UserReconciler{
		Client:          mgr.GetClient(),
		APIReader:       mgr.GetAPIReader(),
		NamespacePrefix: opts.NamespacePrefix,
		Recorder:        recorder("user-controller"),
		BatchPeriod:     opts.StatusBatchPeriod,
	}
	if err := users.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("user controller: %w", err)
	}
	memberships := &MembershipReconciler{Client: mgr.GetClient(), Clock: opts.Clock, Recorder: recorder("membership-controller")}
	if err := memberships.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("membership controller: %w", err)
	}
	contacts := &ContactReconciler{Client: mgr.GetClient(), NamespacePrefix: opts.NamespacePrefix, BatchPeriod: opts.StatusBatchPeriod}
	if err := contacts.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("contact controller: %w", err)
	}
	domains := &DomainReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Registrar: opts.Registrar, RegistrarTimeout: opts.RegistrarTimeout,
		Clock: opts.Clock, NamespacePrefix: opts.NamespacePrefix,
		InvoiceNumbers: &Sequence{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Clock: opts.Clock, Name: "invoice", Yearly: true},
		Recorder:       recorder("domain-controller"),
	}
	if err := domains.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("domain controller: %w", err)
	}
	if err := (&PriceListReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("price list controller: %w", err)
	}
	transfers := &OwnershipTransferReconciler{
		Client: mgr.GetClient(), Clock: opts.Clock, Recorder: recorder("ownershiptransfer-controller"),
	}
	if err := transfers.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("ownership transfer controller: %w", err)
	}
	return nil
}

// setupIndexes registers the field indexes that let a watch find the objects
// an event concerns without listing everything.
func setupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	indexes := []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&clientareav1alpha1.Account{}, indexAccountOwner, func(obj client.Object) []string {
			return []string{string(obj.(*clientareav1alpha1.Account).Spec.Owner)}
		}},
		{&clientareav1alpha1.Membership{}, indexMembershipUser, func(obj client.Object) []string {
			return []string{string(obj.(*clientareav1alpha1.Membership).Spec.User)}
		}},
		{&clientareav1alpha1.User{}, indexUserEmail, func(obj client.Object) []string {
			return []string{normalizedEmail(obj.(*clientareav1alpha1.User))}
		}},
		{&clientareav1alpha1.Domain{}, indexDomainHolder, func(obj client.Object) []string {
			return []string{string(obj.(*clientareav1alpha1.Domain).Spec.HolderRef.Name)}
		}},
		{&clientareav1alpha1.Domain{}, indexDomainName, func(obj client.Object) []string {
			return []string{domainNameOf(obj.(*clientareav1alpha1.Domain))}
		}},
		{&clientareav1alpha1.Account{}, indexAccountBillingTarget, func(obj client.Object) []string {
			return billingTarget(obj.(*clientareav1alpha1.Account))
		}},
		{&clientareav1alpha1.Account{}, indexAccountBillingAccount, func(obj client.Object) []string {
			return billingAccount(obj.(*clientareav1alpha1.Account))
		}},
		{&clientareav1alpha1.Domain{}, indexDomainBillingHeld, func(obj client.Object) []string {
			if billingHeld(obj.(*clientareav1alpha1.Domain)) {
				return []string{"true"}
			}
			return nil
		}},
	}
	for _, index := range indexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, index.obj, index.field, index.extract); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", index.obj, index.field, err)
		}
	}
	return nil
}
