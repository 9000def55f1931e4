package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// baseline makes the needed writes with a plain client and workers
// concurrent writers, on the same API server: the namespaces, and the
// RoleBindings, Roles, ServiceAccounts and Secrets in them, as they are;
// every other created object (claims, invoices, events) as a ConfigMap of
// about its size; every status write as a merge patch of one of those. It
// returns the wall time.
func baseline(ctx context.Context, c client.Client, needed neededWrites, workers int) (time.Duration, error) {
	namespaces := max(needed.created["namespaces"], 1)
	nsName := func(i int) string { return fmt.Sprintf("baseline-%d", i%namespaces) }
	type write func(i int) error
	payload := strings.Repeat("x", 1500)
	var writes []write
	add := func(count int, w write) {
		for range count {
			writes = append(writes, w)
		}
	}
	subject := []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "someone@example.com"}}
	add(needed.created["rolebindings"], func(i int) error {
		return c.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: nsName(i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: subject})
	})
	add(needed.created["roles"], func(i int) error {
		return c.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i), Namespace: nsName(i)},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: []string{"get"}}}})
	})
	add(needed.created["serviceaccounts"], func(i int) error {
		return c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", i), Namespace: nsName(i)}})
	})
	add(needed.created["secrets"], func(i int) error {
		return c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("secret-%d", i), Namespace: nsName(i)},
			StringData: map[string]string{"authCode": "0123456789abcdef0123"}})
	})
	others := 0
	for kind, count := range needed.created {
		switch kind {
		case "namespaces", "rolebindings", "roles", "serviceaccounts", "secrets":
		default:
			others += count
		}
	}
	statusWrites := int(needed.total()) - int(sumCreated(needed))
	// Status writes patch objects created before the timed run starts, as
	// the operator's patch objects that exist.
	patched := max(statusWrites, 1)
	add(others, func(i int) error {
		return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("object-%d", i), Namespace: nsName(i)},
			Data: map[string]string{"payload": payload}})
	})
	const patchedNamespaces = 10
	patchedObject := func(i int) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("status-%d", i%patched), Namespace: fmt.Sprintf("baseline-patched-%d", i%patched%patchedNamespaces),
		}}
	}
	add(statusWrites, func(i int) error {
		patch := fmt.Appendf(nil, `{"data":{"status":"written %d"}}`, i)
		return c.Patch(ctx, patchedObject(i), client.RawPatch(types.MergePatchType, patch))
	})

	// Untimed: the ConfigMaps the status writes patch.
	for i := range patchedNamespaces {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("baseline-patched-%d", i)}}); err != nil {
			return 0, err
		}
	}
	prepared := func(i int) error {
		object := patchedObject(i)
		object.Data = map[string]string{"payload": payload}
		return c.Create(ctx, object)
	}

	started := time.Now()
	if err := parallel(namespaces, workers, func(i int) error {
		return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}})
	}); err != nil {
		return 0, err
	}
	namespacesDone := time.Since(started)
	if err := parallel(patched, workers, prepared); err != nil {
		return 0, err
	}
	started = time.Now()
	if err := parallel(len(writes), workers, func(i int) error { return writes[i](i) }); err != nil {
		return 0, err
	}
	elapsed := namespacesDone + time.Since(started)
	log.Printf("baseline: %d writes (%d namespaces, %d other creates, %d patches) in %s with %d workers: %.0f writes/s",
		len(writes)+namespaces, namespaces, len(writes)-statusWrites, statusWrites, elapsed.Round(100*time.Millisecond), workers,
		float64(len(writes)+namespaces)/elapsed.Seconds())
	return elapsed, nil
}

func sumCreated(needed neededWrites) int64 {
	var total int
	for _, count := range needed.created {
		total += count
	}
	return int64(total)
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
