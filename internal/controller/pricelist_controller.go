package controller

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/billing"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
)

// priceListReconciler reports whether each PriceList is in use (I5): a
// top-level domain priced by two lists has no price, and its billable events
// wait, until one list keeps it.
type priceListReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=pricelists/status,verbs=get;update;patch

// Reconcile reports one PriceList's Ready condition.
func (r *priceListReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	list := &clientareav1alpha1.PriceList{}
	if err := r.Get(ctx, req.NamespacedName, list); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	patcher := patch.NewHelper(list, r.Client)
	defer patcher.PatchOnExit(ctx, list, &retErr)

	all := &clientareav1alpha1.PriceListList{}
	if err := r.List(ctx, all); err != nil {
		return ctrl.Result{}, err
	}
	if clashes := billing.TLDsPricedElsewhere(list, all.Items); len(clashes) > 0 {
		conditions.Set(list, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, clientareav1alpha1.PriceListReasonTLDPricedTwice,
			"priced by another list as well, so these have no price until one list keeps them: "+strings.Join(clashes, ", "))
		return ctrl.Result{}, nil
	}
	conditions.Set(list, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, clientareav1alpha1.ReasonReady,
		fmt.Sprintf("prices %d top-level domains in %s", len(list.Spec.Domains), list.Spec.Currency))
	return ctrl.Result{}, nil
}

// SetupWithManager watches PriceLists: a change to one can change whether
// another is in use.
func (r *priceListReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.PriceList{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&clientareav1alpha1.PriceList{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
			return listRequests(ctx, r.Client, &clientareav1alpha1.PriceListList{})
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("pricelist").
		Complete(r)
}
