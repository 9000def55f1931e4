package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

// baseline makes the needed writes with a plain client and workers
// concurrent writers, on the same API server with the manager stopped: the
// same number of objects of the same kinds (so the same schema validation,
// CEL rules and admission policies run), and for every status write a merge
// patch of the status of an object of that kind. The objects whose status
// is patched are created beforehand, untimed. It returns the wall time, and
// the CPUs each process used meanwhile. profile is started with the timed
// writes and its result called when they end.
func baseline(ctx context.Context, c client.Client, needed neededWrites, workers int, profile func() (stop func())) (time.Duration, string, error) {
	const prefix = "baseline"
	namespaces := max(needed.created["namespaces"], 1)
	ns := func(i int) string { return fmt.Sprintf("%s-%d", prefix, i%namespaces) }

	// Untimed: the objects whose status the timed run patches.
	var targets []client.Object
	for kind, count := range needed.status {
		for i := range count {
			targets = append(targets, statusTarget(kind, fmt.Sprintf("%s-status-%s-%d", prefix, kind, i), "baseline-patched"))
		}
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "baseline-patched"}}); err != nil {
		return 0, "", err
	}
	if err := parallel(len(targets), workers, func(i int) error { return c.Create(ctx, targets[i]) }); err != nil {
		return 0, "", fmt.Errorf("preparing the status targets: %w", err)
	}

	var writes []func() error
	for kind, count := range needed.created {
		if kind == "namespaces" {
			continue
		}
		for i := range count {
			obj := createdObject(kind, fmt.Sprintf("%s-%s-%d", prefix, kind, i), ns(i))
			writes = append(writes, func() error { return c.Create(ctx, obj) })
		}
	}
	for i, target := range targets {
		patch := fmt.Appendf(nil, `{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Baseline","message":"write %d",`+
			`"lastTransitionTime":"2026-11-23T00:00:00Z","observedGeneration":1}]}}`, i)
		writes = append(writes, func() error { return c.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, patch)) })
	}

	stopProfile := profile()
	defer stopProfile()
	started, cpuBefore := time.Now(), cpuTimes()
	if err := parallel(namespaces, workers, func(i int) error {
		return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns(i)}})
	}); err != nil {
		return 0, "", err
	}
	if err := parallel(len(writes), workers, func(i int) error { return writes[i]() }); err != nil {
		return 0, "", err
	}
	elapsed := time.Since(started)
	total := len(writes) + namespaces
	log.Printf("baseline: %d writes (%d creates, %d status patches) in %s with %d workers: %.0f writes/s",
		total, total-len(targets), len(targets), elapsed.Round(100*time.Millisecond), workers, float64(total)/elapsed.Seconds())
	return elapsed, cpuUse(cpuBefore, cpuTimes(), elapsed), nil
}

// createdObject is a valid new object of one of the kinds the operator
// creates.
func createdObject(kind, name, namespace string) client.Object {
	meta := metav1.ObjectMeta{Name: name, Namespace: namespace}
	switch kind {
	case "rolebindings":
		return &rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "someone@example.com"}}}
	case "roles":
		return &rbacv1.Role{ObjectMeta: meta,
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, ResourceNames: []string{name}, Verbs: []string{"get"}}}}
	case "serviceaccounts":
		return &corev1.ServiceAccount{ObjectMeta: meta}
	case "secrets":
		return &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"authCode": "0123456789abcdef0123"}}
	case "invoices":
		invoice := fixtures.Invoice(namespace)
		invoice.ObjectMeta = meta
		return invoice
	case "events":
		return &eventsv1.Event{ObjectMeta: meta, EventTime: metav1.NowMicro(), Type: corev1.EventTypeNormal, Reason: "Baseline",
			Action: "Write", Note: "a baseline write", ReportingController: "baseline", ReportingInstance: "baseline",
			Regarding: corev1.ObjectReference{Kind: "ConfigMap", Namespace: namespace, Name: name, APIVersion: "v1"}}
	}
	meta.Namespace = "" // the claims, credentials and access objects are cluster-scoped
	switch kind {
	case "clusterroles":
		return &rbacv1.ClusterRole{ObjectMeta: meta,
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"users"}, ResourceNames: []string{name}, Verbs: []string{"get"}}}}
	case "clusterrolebindings":
		return &rbacv1.ClusterRoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name + "@baseline.example"}}}
	case "domaincredentials":
		meta.Name += ".de"
		return &clientareav1alpha1.DomainCredential{ObjectMeta: meta, Spec: clientareav1alpha1.DomainCredentialSpec{
			DomainName: clientareav1alpha1.DomainName(meta.Name), Namespace: namespace, Domain: meta.Name, DomainUID: name[max(0, len(name)-36):],
			ServiceAccount: "domain-login-" + name, PasswordSetAt: metav1.NewTime(time.Now().Truncate(time.Second)),
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$YmFzZWxpbmVzYWx0$YmFzZWxpbmVrZXliYXNlbGluZWtleWJhc2VsaW5lMDA"}}
	case "numberclaims":
		return &clientareav1alpha1.NumberClaim{ObjectMeta: meta, Spec: clientareav1alpha1.NumberClaimSpec{Series: "baseline", Number: 1, HolderKind: "Domain",
			HolderName: name, HolderUID: name, Event: name, ReservedAt: &metav1.Time{Time: time.Now().Truncate(time.Second)}}}
	case "emailclaims":
		return &clientareav1alpha1.EmailClaim{ObjectMeta: meta, Spec: clientareav1alpha1.EmailClaimSpec{Email: clientareav1alpha1.EmailAddress(name + "@baseline.example"), User: clientareav1alpha1.ObjectName(name), UserUID: name}}
	case "domainclaims":
		return &clientareav1alpha1.DomainClaim{ObjectMeta: meta, Spec: clientareav1alpha1.DomainClaimSpec{Namespace: namespace, Name: name, UID: name}}
	}
	panic("no baseline object for " + kind)
}

// statusTarget is a valid object of a kind whose status the operator
// writes.
func statusTarget(kind, name, namespace string) client.Object {
	switch kind {
	case "users":
		return &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clientareav1alpha1.UserSpec{Email: clientareav1alpha1.EmailAddress(name + "@baseline.example")}}
	case "accounts":
		account := fixtures.Account()
		account.GenerateName, account.Name = "", name
		return account
	case "pricelists":
		prices := fixtures.PriceList()
		prices.GenerateName, prices.Name = "", name
		prices.Spec.Domains = []clientareav1alpha1.TLDPrice{{TLD: "baselinetld", RegistrationPerYear: 1, RenewalPerYear: 1}}
		return prices
	case "memberships":
		membership := fixtures.Membership(namespace)
		membership.GenerateName, membership.Name = "", name
		return membership
	case "contacts":
		contact := fixtures.Contact(namespace)
		contact.GenerateName, contact.Name = "", name
		return contact
	case "domains":
		domain := fixtures.Domain(namespace)
		domain.GenerateName, domain.Name = "", name+".de"
		domain.Spec.DomainName = ""
		return domain
	case "invoices":
		invoice := fixtures.Invoice(namespace)
		invoice.GenerateName, invoice.Name = "", name
		return invoice
	}
	panic("no status target for " + kind)
}

// workerCurve measures how fast a plain client creates ConfigMaps with 1 to
// 32 concurrent writers, to show where more workers stop helping.
func workerCurve(ctx context.Context, c client.Client, writes int) string {
	var out []string
	payload := strings.Repeat("x", 1500)
	for run, workers := range []int{1, 2, 4, 8, 16, 32} {
		namespace := fmt.Sprintf("curve-%d", run)
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
			return err.Error()
		}
		started := time.Now()
		err := parallel(writes, workers, func(i int) error {
			return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: namespace},
				Data: map[string]string{"payload": payload}})
		})
		if err != nil {
			return err.Error()
		}
		out = append(out, fmt.Sprintf("%d workers: %.0f/s", workers, float64(writes)/time.Since(started).Seconds()))
	}
	return strings.Join(out, ", ")
}
