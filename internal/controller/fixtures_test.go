package controller_test

import (
	"fmt"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// uniqueSuffix keeps the objects of one test apart from every other test's.
var uniqueSuffix atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, uniqueSuffix.Add(1))
}

func newUser(name, email string) *clientareav1alpha1.User {
	return &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clientareav1alpha1.UserSpec{Email: clientareav1alpha1.EmailAddress(email)}}
}

func newAccount(name, owner string) *clientareav1alpha1.Account {
	return &clientareav1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: clientareav1alpha1.AccountSpec{
			Owner:       clientareav1alpha1.ObjectName(owner),
			Type:        clientareav1alpha1.AccountTypeCompany,
			DisplayName: "Werbeagentur XYZ GmbH",
			Contact: clientareav1alpha1.ContactDetails{
				Name: "Anna Schmidt", City: "Berlin", CountryCode: "DE", Email: "buchhaltung@werbeagentur-xyz.example",
			},
		},
	}
}

// create creates obj and deletes it when the test ends.
func create(obj client.Object) {
	Expect(k8sClient.Create(ctx, obj)).To(Succeed())
	DeferCleanupDelete(obj)
}

// change edits obj as an administrator would by hand: it reads obj afresh,
// applies edit and sends only the difference, as a merge patch without a
// resourceVersion. The operator writes many of the objects the tests edit
// (their status, most often) and may do so between the read and the write:
// a test's edit must not fail on that conflict.
func change[T client.Object](obj T, edit func(T)) {
	GinkgoHelper()
	patchEdited(obj, edit, func(p client.Patch) error { return k8sClient.Patch(ctx, obj, p) })
}

// changeStatus is change for obj's status, as a crash or a hand edit would
// leave it.
func changeStatus[T client.Object](obj T, edit func(T)) {
	GinkgoHelper()
	patchEdited(obj, edit, func(p client.Patch) error { return k8sClient.Status().Patch(ctx, obj, p) })
}

func patchEdited[T client.Object](obj T, edit func(T), send func(client.Patch) error) {
	GinkgoHelper()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	before := obj.DeepCopyObject().(T)
	edit(obj)
	Expect(send(client.MergeFrom(before))).To(Succeed())
}

// DeferCleanupDelete deletes obj when the test ends, if it still exists.
func DeferCleanupDelete(obj client.Object) {
	deferCleanup(func() error { return client.IgnoreNotFound(k8sClient.Delete(ctx, obj)) })
}

// condition returns a function that reads the given condition of obj from the
// API server, for Eventually.
func condition[T ~string](obj client.Object, conditions func() []metav1.Condition, conditionType T) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		return apimeta.FindStatusCondition(conditions(), string(conditionType))
	}
}

// haveStatus matches a condition with the given status and reason.
func haveStatus[R ~string](status metav1.ConditionStatus, reason R) OmegaMatcher {
	return And(Not(BeNil()), WithTransform(func(c *metav1.Condition) metav1.ConditionStatus { return c.Status }, Equal(status)),
		WithTransform(func(c *metav1.Condition) string { return c.Reason }, Equal(string(reason))))
}

// createAtOnce creates the objects concurrently, as a client-area front end
// filling an account does.
func createAtOnce(objects ...client.Object) {
	GinkgoHelper()
	var wg sync.WaitGroup
	for _, obj := range objects {
		wg.Go(func() {
			defer GinkgoRecover()
			create(obj)
		})
	}
	wg.Wait()
}
