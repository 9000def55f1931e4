package v1alpha1_test

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"clientarea.dev/clientarea-operator/internal/testenv"
)

// samples are the objects of config/samples and of config/samples/support
// (what support applies later), read when the test tree is built so that
// each becomes its own table entry.
var samples = func() []*unstructured.Unstructured {
	var all []*unstructured.Unstructured
	for _, dir := range []string{"samples", filepath.Join("samples", "support")} {
		objects, err := testenv.ReadManifests(filepath.Join(testenv.RepoRoot(), "config", dir))
		if err != nil {
			panic(err)
		}
		all = append(all, objects...)
	}
	return all
}()

var _ = Describe("The samples of config/samples", func() {
	It("tell the whole story: every kind of the API appears", func() {
		kinds := map[string]bool{}
		for _, obj := range samples {
			kinds[obj.GetKind()] = true
		}
		Expect(kinds).To(HaveKey("User"))
		Expect(kinds).To(HaveKey("Account"))
		Expect(kinds).To(HaveKey("Membership"))
		Expect(kinds).To(HaveKey("Contact"))
		Expect(kinds).To(HaveKey("Domain"))
		Expect(kinds).To(HaveKey("PriceList"))
		Expect(kinds).To(HaveKey("OwnershipTransfer"))
	})

	entries := []TableEntry{}
	for _, obj := range samples {
		entries = append(entries, Entry(obj.GetKind()+" "+obj.GetNamespace()+"/"+obj.GetName(), obj))
	}
	DescribeTable("are accepted by the API server as written",
		func(obj *unstructured.Unstructured) {
			if ns := obj.GetNamespace(); ns != "" {
				// The account namespace, as the Account controller creates it.
				namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
				Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, namespace))).To(Succeed())
			}
			Expect(k8sClient.Create(ctx, obj.DeepCopy())).To(Succeed())
		},
		entries,
	)
})
