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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

const (
	// accountFinalizer revokes all access when an Account is deleted, and
	// keeps the namespace's invoices (A8).
	accountFinalizer = "clientarea.dev/account"
	// ArchivedLabel marks a namespace of a deleted account that is kept
	// because it holds invoices, which are never deleted (A8).
	ArchivedLabel = "clientarea.dev/archived"

	// ConditionDeleting says why a deleted Account is still there.
	ConditionDeleting       = "Deleting"
	ReasonActiveDomains     = "ActiveDomains"
	ReasonNamespaceArchived = "NamespaceArchived"
	archivedLabelValue      = "true"
)

// reconcileDelete revokes all access to a deleted account at once, waits for
// its active domains to be gone, and then lets the account go. The namespace
// goes with it through its owner reference, unless it holds invoices: those
// are never deleted (A8), so the namespace is released and kept, archived.
func (r *AccountReconciler) reconcileDelete(ctx context.Context, account *clientareav1alpha1.Account) error {
	if !controllerutil.ContainsFinalizer(account, accountFinalizer) {
		return nil
	}
	// The namespace name is derived, not read from status: the operator may
	// have died after creating the namespace and before recording it.
	ns, err := r.ownedNamespace(ctx, account)
	if err != nil {
		return err
	}
	if ns != nil {
		namespace := ns.Name
		if err := r.revokeAll(ctx, namespace); err != nil {
			return err
		}
		active, err := r.activeDomains(ctx, namespace)
		if err != nil {
			return err
		}
		if len(active) > 0 {
			setCondition(&account.Status.Conditions, account.Generation, ConditionDeleting, metav1.ConditionTrue, ReasonActiveDomains,
				fmt.Sprintf("access is revoked; the account is deleted once its active domains are gone: %s", strings.Join(active, ", ")))
			return nil // the Domain watch brings us back
		}
		if err := r.archiveIfInvoices(ctx, account, ns); err != nil {
			return err
		}
	}
	return releaseFinalizer(ctx, r.Client, account, accountFinalizer)
}

// ownedNamespace returns the account's namespace if it exists and belongs to
// the account, else nil.
func (r *AccountReconciler) ownedNamespace(ctx context.Context, account *clientareav1alpha1.Account) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: r.namespaceName(account)}, ns); err != nil {
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
func (r *AccountReconciler) revokeAll(ctx context.Context, namespace string) error {
	granted := client.MatchingLabelsSelector{Selector: labels.SelectorFromValidatedSet(labels.Set{ManagedByLabel: ManagedByValue}).Add(notOperatorGrant)}
	bindings := &rbacv1.RoleBindingList{}
	if err := r.List(ctx, bindings, client.InNamespace(namespace), granted); err != nil || len(bindings.Items) == 0 {
		return err
	}
	return r.DeleteAllOf(ctx, &rbacv1.RoleBinding{}, client.InNamespace(namespace), granted)
}

// notOperatorGrant selects every RoleBinding but the operator's own.
var notOperatorGrant = mustRequirement(GrantLabel, selection.NotEquals, grantOperator)

func (r *AccountReconciler) activeDomains(ctx context.Context, namespace string) ([]string, error) {
	domains := &clientareav1alpha1.DomainList{}
	if err := r.List(ctx, domains, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var active []string
	for _, domain := range domains.Items {
		if domain.Status.State == clientareav1alpha1.DomainActive {
			active = append(active, domain.Name)
		}
	}
	slices.Sort(active)
	return active, nil
}

// archiveIfInvoices releases a namespace that holds invoices from the
// account, so that the garbage collector does not delete it with them.
func (r *AccountReconciler) archiveIfInvoices(ctx context.Context, account *clientareav1alpha1.Account, ns *corev1.Namespace) error {
	invoices := &clientareav1alpha1.InvoiceList{}
	if err := r.List(ctx, invoices, client.InNamespace(ns.Name), client.Limit(1)); err != nil {
		return err
	}
	if len(invoices.Items) == 0 {
		return nil
	}
	archived := ns.DeepCopy()
	archived.OwnerReferences = slices.DeleteFunc(archived.OwnerReferences, func(ref metav1.OwnerReference) bool { return ref.UID == account.UID })
	archived.Labels[ArchivedLabel] = archivedLabelValue
	if err := r.Patch(ctx, archived, client.MergeFrom(ns)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	setCondition(&account.Status.Conditions, account.Generation, ConditionDeleting, metav1.ConditionTrue, ReasonNamespaceArchived,
		fmt.Sprintf("namespace %s holds invoices and is kept, labelled %s=%s", ns.Name, ArchivedLabel, archivedLabelValue))
	return nil
}
