package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
)

const (
	// accountFinalizer revokes all access when an Account is deleted, and
	// keeps the namespace's invoices (A8).
	accountFinalizer   = "clientarea.dev/account"
	archivedLabelValue = "true"
)

// revokeAndRelease revokes all access to a deleted account at once, waits
// for its active domains to be gone, and then lets the account go. The
// namespace goes with it through its owner reference, unless it holds
// invoices: those are never deleted (A8), so the namespace is released and
// kept, archived.
func (r *accountReconciler) revokeAndRelease(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account := s.account
	if !controllerutil.ContainsFinalizer(account, accountFinalizer) {
		return ctrl.Result{}, nil
	}
	// The namespace name is derived, not read from status: the operator may
	// have died after creating the namespace and before recording it.
	ns, err := r.ownedNamespace(ctx, account)
	if err != nil || ns == nil {
		if err == nil {
			controllerutil.RemoveFinalizer(account, accountFinalizer)
		}
		return ctrl.Result{}, err
	}
	if err := r.revokeAll(ctx, ns.Name); err != nil {
		return ctrl.Result{}, err
	}
	unsettled, err := r.domainsToSettle(ctx, ns.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(unsettled) > 0 {
		conditions.Set(account, clientareav1alpha1.AccountConditionDeleting, metav1.ConditionTrue, clientareav1alpha1.AccountReasonActiveDomains,
			"access is revoked; the account is deleted once these domains (registered, pending at the registry or not yet invoiced) are gone: "+
				strings.Join(unsettled, ", "))
		return ctrl.Result{}, nil // the Domain watch brings us back
	}
	if err := r.archiveIfInvoices(ctx, account, ns); err != nil {
		return ctrl.Result{}, err
	}
	controllerutil.RemoveFinalizer(account, accountFinalizer)
	return ctrl.Result{}, nil
}

// ownedNamespace returns the account's namespace if it exists and belongs to
// the account, else nil.
func (r *accountReconciler) ownedNamespace(ctx context.Context, account *clientareav1alpha1.Account) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: r.namespaces.of(account.Name)}, ns); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(ns, account) {
		return nil, nil
	}
	return ns, nil
}

// revokeAll removes every grant in the namespace, owner's, members' and
// domain logins', in one request, and sends none when there is nothing left
// to remove. The operator's own stays: it still deletes the domains' logins.
func (r *accountReconciler) revokeAll(ctx context.Context, namespace string) error {
	granted := client.MatchingLabelsSelector{Selector: labels.SelectorFromValidatedSet(
		labels.Set{clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue}).Add(notOperatorGrant)}
	bindings := &rbacv1.RoleBindingList{}
	if err := r.List(ctx, bindings, client.InNamespace(namespace), granted); err != nil || len(bindings.Items) == 0 {
		return err
	}
	return r.DeleteAllOf(ctx, &rbacv1.RoleBinding{}, client.InNamespace(namespace), granted)
}

// notOperatorGrant selects every RoleBinding but the operator's own.
var notOperatorGrant = mustRequirement(clientareav1alpha1.GrantLabel, selection.NotEquals, clientareav1alpha1.GrantOperator)

// domainsToSettle are the Domains a deleted account waits for (A8): those
// registered, those the registry has yet to complete, and those with a
// period not yet invoiced. Each of them still has something to invoice to
// the account, or to delete at the registry on its behalf; deleted with the
// namespace after the account, they would wait for it for ever.
func (r *accountReconciler) domainsToSettle(ctx context.Context, namespace string) ([]string, error) {
	domains := &clientareav1alpha1.DomainList{}
	if err := r.List(ctx, domains, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var unsettled []string
	for i := range domains.Items {
		domain := &domains.Items[i]
		if domain.Status.State == clientareav1alpha1.DomainActive || registryPending(domain) || billingHeld(domain) {
			unsettled = append(unsettled, domain.Name)
		}
	}
	slices.Sort(unsettled)
	return unsettled, nil
}

// archiveIfInvoices releases a namespace that holds invoices from the
// account, so that the garbage collector does not delete it with them.
func (r *accountReconciler) archiveIfInvoices(ctx context.Context, account *clientareav1alpha1.Account, ns *corev1.Namespace) error {
	invoices := &clientareav1alpha1.InvoiceList{}
	// From the API server: the operator watches no Invoices, and a cached
	// list would start an informer holding every invoice of every year.
	if err := r.APIReader.List(ctx, invoices, client.InNamespace(ns.Name), client.Limit(1)); err != nil {
		return err
	}
	if len(invoices.Items) == 0 {
		return nil
	}
	archived := ns.DeepCopy()
	archived.OwnerReferences = slices.DeleteFunc(archived.OwnerReferences, func(ref metav1.OwnerReference) bool { return ref.UID == account.UID })
	archived.Labels[clientareav1alpha1.ArchivedLabel] = archivedLabelValue
	if err := r.Patch(ctx, archived, client.MergeFrom(ns)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	conditions.Set(account, clientareav1alpha1.AccountConditionDeleting, metav1.ConditionTrue, clientareav1alpha1.AccountReasonNamespaceArchived,
		fmt.Sprintf("namespace %s holds invoices and is kept, labelled %s=%s", ns.Name, clientareav1alpha1.ArchivedLabel, archivedLabelValue))
	return nil
}
