package controller_test

import (
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"clientarea.dev/clientarea-operator/internal/eppregistry"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// The suite's operator speaks EPP (R1) to a strict test registry on
// loopback, on the suite's clock, for the top-level domain eppTLD; every
// other TLD goes to the suite's registrar, the built-in one. With
// CLIENTAREA_TEST_REGISTRAR=epp, every TLD goes to the test registry: the
// whole suite then runs against it (make test runs it both ways).

const (
	// eppTLD is the top-level domain the test registry serves in any mode.
	eppTLD = "eu"
	// ourRegistrar and otherRegistrar are the test registry's registrar
	// accounts: the operator's, and another registrar's, which domains
	// are transferred from and to.
	ourRegistrar, otherRegistrar = "clientarea", "other-registrar"
	// registryPassword is each account's password at the test registry.
	registryPassword = "test-registry-password"
	// refusingTLD goes to a registrar account whose password the operator
	// has wrong (refusedRegistrar).
	refusingTLD, refusedRegistrar = "lu", "refused-registrar"
)

var (
	testRegistry *eppregistry.Registry
	// eppRegistrar is the operator's EPP registrar at testRegistry.
	eppRegistrar *registrar.EPP
	// suiteRegistrar is what the operator is given: by TLD.
	suiteRegistrar registrar.ByTLD
)

// allDomainsOverEPP tells whether the suite runs every Domain over EPP.
func allDomainsOverEPP() bool { return os.Getenv("CLIENTAREA_TEST_REGISTRAR") == "epp" }

// startTestRegistry starts the test registry and the operator's EPP
// registrar for it, and routes the suite's TLDs.
func startTestRegistry() {
	GinkgoHelper()
	var err error
	testRegistry, err = eppregistry.Start(eppregistry.Config{
		Clock: testClock,
		Accounts: []eppregistry.Account{{ClientID: ourRegistrar, Password: registryPassword}, {ClientID: otherRegistrar, Password: registryPassword},
			{ClientID: refusedRegistrar, Password: registryPassword}},
		// The operator's sessions, and a few for tests that act as the
		// other registrar.
		MaxSessionsPerAccount: 4,
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(testRegistry.Close)
	eppRegistrar = newEPPRegistrar(ourRegistrar, registryPassword)
	DeferCleanup(eppRegistrar.Close)
	refused := newEPPRegistrar(refusedRegistrar, "not-the-password")
	DeferCleanup(refused.Close)
	suiteRegistrar = registrar.ByTLD{
		Routes:   map[string]registrar.Registrar{eppTLD: eppRegistrar, refusingTLD: refused},
		Grace:    map[string]time.Duration{eppTLD: registrar.DefaultAutoRenewGracePeriod},
		Fallback: testRegistrar,
	}
	if allDomainsOverEPP() {
		testRegistrar.Registrar = eppRegistrar
	}
}

// newEPPRegistrar is an EPP registrar at the test registry as clientID.
func newEPPRegistrar(clientID, password string) *registrar.EPP {
	GinkgoHelper()
	cert, key := testRegistry.ClientCertificate(clientID)
	reg, err := registrar.NewEPP(registrar.EPPConfig{
		Name: "test-registry", Address: testRegistry.Addr(), CAPEM: testRegistry.CACertPEM(),
		ClientID: clientID, Password: password, CertPEM: cert, KeyPEM: key,
		MaxSessions: 2, CommandTimeout: 2 * time.Second,
	})
	Expect(err).NotTo(HaveOccurred())
	return reg
}
