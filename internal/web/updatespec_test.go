package web

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

// An edit read before the operator wrote the object's status is applied to
// the object as it is now; one read before someone changed its spec is a
// conflict, for the customer to decide again.
func TestUpdateSpecRetriesAfterAStatusWrite(t *testing.T) {
	c := needCluster(t)
	ctx := context.Background()
	anna, _ := c.newCustomer(t, "spec-anna")
	_, ns := c.newAccount(t, anna, "Spec GmbH")
	contact := fixtures.Contact(ns)
	if err := c.admin.Create(ctx, contact); err != nil {
		t.Fatal(err)
	}
	read := &clientareav1alpha1.Contact{}
	if err := c.admin.Get(ctx, client.ObjectKeyFromObject(contact), read); err != nil {
		t.Fatal(err)
	}

	// A status write (as the operator makes all the time) moves the
	// resourceVersion, not the generation.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		statusWrite := &clientareav1alpha1.Contact{}
		if err := c.admin.Get(ctx, client.ObjectKeyFromObject(contact), statusWrite); err != nil {
			return err
		}
		statusWrite.Status.Conditions = append(statusWrite.Status.Conditions, metav1.Condition{
			Type: "Probe", Status: metav1.ConditionTrue, Reason: "Probe", Message: "a status write", LastTransitionTime: metav1.Now()})
		return c.admin.Status().Update(ctx, statusWrite)
	})
	if err != nil {
		t.Fatal(err)
	}
	stale := read.DeepCopy()
	if err := updateSpec(ctx, c.admin, stale, func() { stale.Spec.City = "Bremen" }); err != nil {
		t.Fatalf("an edit that met only a status write: %v", err)
	}
	stored := &clientareav1alpha1.Contact{}
	if err := c.admin.Get(ctx, client.ObjectKeyFromObject(contact), stored); err != nil || stored.Spec.City != "Bremen" {
		t.Fatalf("the city after the edit: %q, %v", stored.Spec.City, err)
	}

	// A change of the spec since the read is not overwritten.
	staleAgain := read.DeepCopy()
	if err := updateSpec(ctx, c.admin, staleAgain, func() { staleAgain.Spec.City = "Kiel" }); !apierrors.IsConflict(err) {
		t.Fatalf("an edit of a spec changed meanwhile: want a conflict, got %v", err)
	}
	if err := c.admin.Get(ctx, client.ObjectKeyFromObject(contact), stored); err != nil || stored.Spec.City != "Bremen" {
		t.Errorf("the city after the refused edit: %q, %v", stored.Spec.City, err)
	}
}
