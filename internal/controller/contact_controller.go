package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
)

const contactFinalizer = "clientarea.dev/contact"

// contactReconciler reports where each Contact is used and holds its
// deletion while it is (C3).
type contactReconciler struct {
	client.Client
	// BatchPeriod delays every reconcile of a Contact, its own changes
	// included: its status is a view of what uses it, read by nobody but
	// people, so a contact and the domains made with it are written once.
	BatchPeriod time.Duration
	namespaces  accountNamespaces
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=contacts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=contacts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=contacts/finalizers,verbs=update

// Reconcile brings one Contact's usage up to date.
func (r *contactReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	contact := &clientareav1alpha1.Contact{}
	if err := r.Get(ctx, req.NamespacedName, contact); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	patcher := patch.NewHelper(contact, r.Client)
	defer patcher.PatchOnExit(ctx, contact, &retErr)

	deleting := !contact.DeletionTimestamp.IsZero()
	if !deleting {
		if err := ensureFinalizer(ctx, patcher, contact, contactFinalizer); err != nil {
			return ctrl.Result{}, err
		}
	}
	uses, err := r.usesOf(ctx, contact)
	if err != nil {
		return ctrl.Result{}, err
	}
	contact.Status.UsedBy = uses
	if len(uses) > 0 {
		message := "used by " + describeUses(uses)
		if deleting {
			message += "; deletion waits until it is no longer used"
		}
		conditions.Set(contact, clientareav1alpha1.ContactConditionInUse, metav1.ConditionTrue, clientareav1alpha1.ContactReasonUsed, message)
	} else {
		conditions.Set(contact, clientareav1alpha1.ContactConditionInUse, metav1.ConditionFalse, clientareav1alpha1.ContactReasonUnused,
			"no account bills to it and no domain is held by it")
		if deleting {
			controllerutil.RemoveFinalizer(contact, contactFinalizer)
		}
	}
	conditions.Set(contact, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, clientareav1alpha1.ReasonReady, "the contact is valid")
	return ctrl.Result{}, nil // while in use, the Account and Domain watches bring a deletion back
}

// usesOf lists the accounts billing to the contact and the domains it holds,
// in a stable order.
func (r *contactReconciler) usesOf(ctx context.Context, contact *clientareav1alpha1.Contact) ([]clientareav1alpha1.ContactUse, error) {
	var uses []clientareav1alpha1.ContactUse
	if account, ok := r.namespaces.accountOf(contact.Namespace); ok {
		accounts := &clientareav1alpha1.AccountList{}
		if err := r.List(ctx, accounts, client.MatchingFields{indexAccountBillingTarget: account + "/" + contact.Name}); err != nil {
			return nil, err
		}
		for _, a := range accounts.Items {
			uses = append(uses, clientareav1alpha1.ContactUse{Kind: "Account", Name: a.Name})
		}
	}
	domains := &clientareav1alpha1.DomainList{}
	if err := r.List(ctx, domains, client.InNamespace(contact.Namespace), client.MatchingFields{indexDomainHolder: contact.Name}); err != nil {
		return nil, err
	}
	for _, d := range domains.Items {
		uses = append(uses, clientareav1alpha1.ContactUse{Kind: "Domain", Name: d.Name, Namespace: d.Namespace})
	}
	slices.SortFunc(uses, func(a, b clientareav1alpha1.ContactUse) int {
		return strings.Compare(a.Kind+"/"+a.Namespace+"/"+a.Name, b.Kind+"/"+b.Namespace+"/"+b.Name)
	})
	return uses, nil
}

func describeUses(uses []clientareav1alpha1.ContactUse) string {
	parts := make([]string, 0, len(uses))
	for _, use := range uses {
		parts = append(parts, fmt.Sprintf("%s %s", use.Kind, use.Name))
	}
	return strings.Join(parts, ", ")
}

// SetupWithManager watches Contacts and what uses them.
func (r *contactReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Watches(&clientareav1alpha1.Contact{}, enqueueBatched(r.BatchPeriod, itself)).
		Watches(&clientareav1alpha1.Domain{}, enqueueBatched(r.BatchPeriod, holderOf)).
		Watches(&clientareav1alpha1.Account{}, enqueueBatched(r.BatchPeriod, r.billingContactOf)).
		Named("contact").
		Complete(r)
}

// holderOf maps a Domain to its holder Contact.
func holderOf(_ context.Context, obj client.Object) []reconcile.Request {
	domain := obj.(*clientareav1alpha1.Domain)
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: domain.Namespace, Name: string(domain.Spec.HolderRef.Name)}}}
}

// billingContactOf maps an Account to the Contact it bills to (A7).
func (r *contactReconciler) billingContactOf(_ context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	for _, target := range billingTarget(obj.(*clientareav1alpha1.Account)) {
		account, contact, _ := strings.Cut(target, "/")
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: r.namespaces.of(account), Name: contact}})
	}
	return requests
}
