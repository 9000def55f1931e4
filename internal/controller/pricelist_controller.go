package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// ReasonTLDPricedTwice is the Ready reason of a PriceList that prices a
// top-level domain another list prices too.
const ReasonTLDPricedTwice = "TLDPricedTwice"

// PriceListReconciler reports whether each PriceList is in use (I5): a
// top-level domain priced by two lists has no price, and its billable events
// wait, until one list keeps it.
type PriceListReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=pricelists/status,verbs=get;update;patch

// Reconcile reports one PriceList's Ready condition.
func (r *PriceListReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	list := &clientareav1alpha1.PriceList{}
	if err := r.Get(ctx, req.NamespacedName, list); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer patchStatusOnExit(ctx, r.Client, list.DeepCopy(), list, func(obj client.Object) any { return obj.(*clientareav1alpha1.PriceList).Status }, &retErr)

	all := &clientareav1alpha1.PriceListList{}
	if err := r.List(ctx, all); err != nil {
		return ctrl.Result{}, err
	}
	list.Status.ObservedGeneration = list.Generation
	if clashes := tldsPricedElsewhere(list, all.Items); len(clashes) > 0 {
		setCondition(&list.Status.Conditions, list.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, ReasonTLDPricedTwice,
			"priced by another list as well, so these have no price until one list keeps them: "+strings.Join(clashes, ", "))
		return ctrl.Result{}, nil
	}
	setCondition(&list.Status.Conditions, list.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady,
		fmt.Sprintf("prices %d top-level domains in %s", len(list.Spec.Domains), list.Spec.Currency))
	return ctrl.Result{}, nil
}

// tldsPricedElsewhere lists ".tld (PriceList other)" for every top-level
// domain of list that another list prices too.
func tldsPricedElsewhere(list *clientareav1alpha1.PriceList, all []clientareav1alpha1.PriceList) []string {
	var clashes []string
	for _, entry := range list.Spec.Domains {
		for _, other := range all {
			if other.Name == list.Name || !other.DeletionTimestamp.IsZero() {
				continue
			}
			if _, ok := priceInList(&other, entry.TLD, clientareav1alpha1.EventDomainRegistration); ok {
				clashes = append(clashes, fmt.Sprintf(".%s (PriceList %s)", entry.TLD, other.Name))
			}
		}
	}
	slices.Sort(clashes)
	return clashes
}

// SetupWithManager watches PriceLists: a change to one can change whether
// another is in use.
func (r *PriceListReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.PriceList{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&clientareav1alpha1.PriceList{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
			return listRequests(ctx, r.Client, &clientareav1alpha1.PriceListList{})
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("pricelist").
		Complete(r)
}
