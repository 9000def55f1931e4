package v1alpha1_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"clientarea.dev/clientarea-operator/internal/testenv"
)

// These tests prove the validation of the API (G2) against a real
// kube-apiserver: the CRD schemas, their CEL rules and the admission policies
// of config/policies, exactly as a cluster enforces them.
func TestAPIValidation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "API validation suite")
}

var (
	env       *testenv.Env
	k8sClient client.Client
	ctx       context.Context
)

var _ = BeforeSuite(func() {
	ctx = context.Background()
	var err error
	env, err = testenv.Start(ctx)
	Expect(err).NotTo(HaveOccurred())
	k8sClient = env.Client
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})
