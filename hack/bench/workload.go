package main

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

func ownerName(i int) string   { return fmt.Sprintf("owner-%d", i) }
func memberName(i int) string  { return fmt.Sprintf("member-%d", i) }
func accountName(i int) string { return fmt.Sprintf("acct-%d", i) }
func namespaceOf(i int) string { return controller.DefaultNamespacePrefix + accountName(i) }

func newUser(name string) *clientareav1alpha1.User {
	return &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clientareav1alpha1.UserSpec{Email: clientareav1alpha1.EmailAddress(name + "@bench.example")}}
}

// createAccounts creates the price list, an owner and a member User per
// account, the accounts, and, once an account's namespace exists, its 2
// Contacts, 3 Memberships (for the members of the next three accounts)
// and 2 Domains.
func createAccounts(ctx context.Context, c client.Client, watched client.Reader, n, workers int) error {
	prices := fixtures.PriceList()
	prices.GenerateName, prices.Name = "", "bench"
	if err := c.Create(ctx, prices); err != nil {
		return err
	}
	if err := parallel(2*n, workers, func(i int) error {
		name := ownerName(i)
		if i >= n {
			name = memberName(i - n)
		}
		return c.Create(ctx, newUser(name))
	}); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if err := parallel(n, workers, func(i int) error {
		account := fixtures.Account()
		account.GenerateName, account.Name = "", accountName(i)
		account.Spec.Owner = clientareav1alpha1.ObjectName(ownerName(i))
		account.Spec.BillingContactRef = nil
		return c.Create(ctx, account)
	}); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	return parallel(n, workers, func(i int) error { return fillAccount(ctx, c, watched, n, i) })
}

// fillAccount waits for the account's namespace (seen by watched, a cache
// fed by watches) and creates its objects.
func fillAccount(ctx context.Context, c client.Client, watched client.Reader, n, i int) error {
	account := &clientareav1alpha1.Account{}
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		err := watched.Get(ctx, client.ObjectKey{Name: accountName(i)}, account)
		return err == nil && account.Status.Namespace != "", client.IgnoreNotFound(err)
	})
	if err != nil {
		return fmt.Errorf("waiting for the namespace of %s: %w", accountName(i), err)
	}
	namespace := namespaceOf(i)
	var objects []client.Object
	for _, holder := range []string{"holder-a", "holder-b"} {
		contact := fixtures.Contact(namespace)
		contact.GenerateName, contact.Name = "", holder
		objects = append(objects, contact)
	}
	permissions := [][]clientareav1alpha1.Permission{{clientareav1alpha1.PermissionInvoices}, {clientareav1alpha1.PermissionDomains}, {clientareav1alpha1.PermissionAll}}
	for k, granted := range permissions {
		objects = append(objects, &clientareav1alpha1.Membership{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("member-%d", k), Namespace: namespace},
			Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(memberName((i + k + 1) % n)), Permissions: granted},
		})
	}
	for _, suffix := range []string{"a", "b"} {
		domain := fixtures.Domain(namespace)
		domain.GenerateName, domain.Name = "", fmt.Sprintf("%s-%s.de", accountName(i), suffix)
		domain.Spec.DomainName = ""
		domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName("holder-" + suffix)
		domain.Spec.PeriodYears = 1
		objects = append(objects, domain)
	}
	for _, obj := range objects {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("%s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
	}
	return nil
}

// waitConverged waits until every object of the benchmark is Ready, every
// domain invoiced, and every invoice issued. It reads from watched, a cache
// fed by watches, so that waiting costs the API server no lists (a watch
// event is encoded once for all its watchers).
func waitConverged(ctx context.Context, watched client.Reader, n int, timeout time.Duration) error {
	ready := func(conditions []metav1.Condition, types ...string) bool {
		for _, conditionType := range types {
			if !meta.IsStatusConditionTrue(conditions, conditionType) {
				return false
			}
		}
		return true
	}
	type check struct {
		name  string
		want  int
		count func() (int, error)
	}
	countOf := func(list client.ObjectList, isReady func(obj client.Object) bool) func() (int, error) {
		return func() (int, error) {
			if err := watched.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
				return 0, err
			}
			items, err := meta.ExtractList(list)
			if err != nil {
				return 0, err
			}
			count := 0
			for _, item := range items {
				if isReady(item.(client.Object)) {
					count++
				}
			}
			return count, nil
		}
	}
	checks := []check{
		{"users", 2 * n, countOf(&clientareav1alpha1.UserList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.User).Status.Conditions, clientareav1alpha1.ConditionReady)
		})},
		{"accounts", n, countOf(&clientareav1alpha1.AccountList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.Account).Status.Conditions, clientareav1alpha1.ConditionReady)
		})},
		{"memberships", 3 * n, countOf(&clientareav1alpha1.MembershipList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.Membership).Status.Conditions, clientareav1alpha1.ConditionReady)
		})},
		{"contacts", 2 * n, countOf(&clientareav1alpha1.ContactList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.Contact).Status.Conditions, clientareav1alpha1.ConditionReady)
		})},
		{"domains", 2 * n, countOf(&clientareav1alpha1.DomainList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.Domain).Status.Conditions, clientareav1alpha1.ConditionReady, string(clientareav1alpha1.DomainConditionInvoiced),
				string(clientareav1alpha1.DomainConditionLoginReady))
		})},
		{"invoices", 2 * n, countOf(&clientareav1alpha1.InvoiceList{}, func(o client.Object) bool {
			return ready(o.(*clientareav1alpha1.Invoice).Status.Conditions, clientareav1alpha1.ConditionReady)
		})},
	}
	// The cache is read in memory: every check, every 200 ms, and the
	// progress every 5 s (the domains' by condition).
	started := time.Now()
	deadline := started.Add(timeout)
	lastLog := started
	for {
		var progress []string
		done := true
		for _, ch := range checks {
			count, err := ch.count()
			if err != nil {
				return err
			}
			progress = append(progress, fmt.Sprintf("%s %d/%d", ch.name, count, ch.want))
			done = done && count == ch.want
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not converged after %s: %s", timeout, strings.Join(progress, ", "))
		}
		if time.Since(lastLog) >= 5*time.Second {
			log.Printf("%3.0fs: %s; domains by condition: %s", time.Since(started).Seconds(), strings.Join(progress, ", "), domainProgress(ctx, watched))
			lastLog = time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// domainProgress counts the domains by each condition that is True.
func domainProgress(ctx context.Context, watched client.Reader) string {
	domains := &clientareav1alpha1.DomainList{}
	if err := watched.List(ctx, domains, client.UnsafeDisableDeepCopy); err != nil {
		return err.Error()
	}
	counts := map[clientareav1alpha1.DomainConditionType]int{}
	for _, domain := range domains.Items {
		for _, condition := range domain.Status.Conditions {
			if condition.Status == metav1.ConditionTrue {
				counts[clientareav1alpha1.DomainConditionType(condition.Type)]++
			}
		}
	}
	var parts []string
	for _, conditionType := range []clientareav1alpha1.DomainConditionType{clientareav1alpha1.DomainConditionHolderResolved, clientareav1alpha1.DomainConditionLoginReady, clientareav1alpha1.DomainConditionRegistered, clientareav1alpha1.DomainConditionInvoiced, clientareav1alpha1.ConditionReady} {
		parts = append(parts, fmt.Sprintf("%s %d", conditionType, counts[conditionType]))
	}
	return fmt.Sprintf("%d created: %s", len(domains.Items), strings.Join(parts, ", "))
}

// neededWrites is what the operator had to write: the objects it created,
// by kind (the per-User and per-Account ClusterRoles and bindings of the
// client area and the domain logins' credentials among them), and one
// status write per object whose status it sets.
type neededWrites struct {
	created map[string]int
	status  map[string]int
	// finalizers is the objects that carry the operator's finalizer, which
	// the API server sets at creation (were the operator to add it, one
	// update each that the formula does not count as needed).
	finalizers int
}

func (n neededWrites) total() int64 {
	var total int
	for _, count := range n.created {
		total += count
	}
	for _, count := range n.status {
		total += count
	}
	return int64(total)
}

// countNeeded counts, from the converged cluster, what the operator created
// and the objects whose status it writes.
func countNeeded(ctx context.Context, c client.Client) (neededWrites, error) {
	managed := client.MatchingLabels{clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue}
	n := neededWrites{created: map[string]int{}, status: map[string]int{}}
	count := func(into map[string]int, kind string, list client.ObjectList, opts ...client.ListOption) error {
		if err := c.List(ctx, list, opts...); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		into[kind] = meta.LenList(list)
		return nil
	}
	secrets := &corev1.SecretList{}
	if err := c.List(ctx, secrets); err != nil {
		return n, err
	}
	for _, secret := range secrets.Items {
		if strings.HasPrefix(secret.Namespace, controller.DefaultNamespacePrefix) {
			n.created["secrets"]++
		}
	}
	steps := []error{
		count(n.created, "namespaces", &corev1.NamespaceList{}, managed),
		count(n.created, "rolebindings", &rbacv1.RoleBindingList{}, managed),
		count(n.created, "roles", &rbacv1.RoleList{}, managed),
		count(n.created, "serviceaccounts", &corev1.ServiceAccountList{}, managed),
		count(n.created, "clusterroles", &rbacv1.ClusterRoleList{}, managed),
		count(n.created, "clusterrolebindings", &rbacv1.ClusterRoleBindingList{}, managed),
		count(n.created, "domaincredentials", &clientareav1alpha1.DomainCredentialList{}),
		count(n.created, "numberclaims", &clientareav1alpha1.NumberClaimList{}),
		count(n.created, "emailclaims", &clientareav1alpha1.EmailClaimList{}),
		count(n.created, "domainclaims", &clientareav1alpha1.DomainClaimList{}),
		count(n.created, "invoices", &clientareav1alpha1.InvoiceList{}),
		count(n.created, "events", &eventsv1.EventList{}),
		count(n.status, "users", &clientareav1alpha1.UserList{}),
		count(n.status, "accounts", &clientareav1alpha1.AccountList{}),
		count(n.status, "memberships", &clientareav1alpha1.MembershipList{}),
		count(n.status, "contacts", &clientareav1alpha1.ContactList{}),
		count(n.status, "domains", &clientareav1alpha1.DomainList{}),
		count(n.status, "invoices", &clientareav1alpha1.InvoiceList{}),
		count(n.status, "pricelists", &clientareav1alpha1.PriceListList{}),
	}
	for _, err := range steps {
		if err != nil {
			return n, err
		}
	}
	for _, kind := range []string{"users", "accounts", "memberships", "contacts", "domains"} {
		n.finalizers += n.status[kind]
	}
	events := &eventsv1.EventList{}
	if err := c.List(ctx, events); err != nil {
		return n, err
	}
	reasons := map[string]int{}
	for _, event := range events.Items {
		reasons[event.Regarding.Kind+" "+event.Reason]++
	}
	log.Printf("events by kind and reason: %v", reasons)
	return n, nil
}

// membershipLatency creates samples Memberships one at a time, each for a
// new User in another account, and measures the time from the create
// request to the RoleBinding that grants it, seen by a watch.
func membershipLatency(ctx context.Context, c client.WithWatch, n, samples int) (p50, p99 time.Duration, err error) {
	log.Printf("membership latency: %d samples", samples)
	if err := parallel(samples, 8, func(k int) error { return c.Create(ctx, newUser(fmt.Sprintf("latency-%d", k))) }); err != nil {
		return 0, 0, err
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		users := &clientareav1alpha1.UserList{}
		if err := c.List(ctx, users); err != nil {
			return false, err
		}
		claimed := 0
		for _, user := range users.Items {
			if strings.HasPrefix(user.Name, "latency-") && user.Status.Email != "" {
				claimed++
			}
		}
		return claimed == samples, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("waiting for the latency users: %w", err)
	}
	bindings := &rbacv1.RoleBindingList{}
	byMembership := client.MatchingLabels{clientareav1alpha1.GrantLabel: "membership"}
	if err := c.List(ctx, bindings, byMembership); err != nil {
		return 0, 0, err
	}
	watcher, err := c.Watch(ctx, &rbacv1.RoleBindingList{}, byMembership, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: bindings.ResourceVersion}})
	if err != nil {
		return 0, 0, err
	}
	defer watcher.Stop()
	var latencies []time.Duration
	for k := range samples {
		membership := &clientareav1alpha1.Membership{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("latency-%d", k), Namespace: namespaceOf(k % n)},
			Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(fmt.Sprintf("latency-%d", k)), Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}},
		}
		started := time.Now()
		if err := c.Create(ctx, membership); err != nil {
			return 0, 0, err
		}
		if err := awaitBinding(watcher.ResultChan(), string(membership.UID), 30*time.Second); err != nil {
			return 0, 0, fmt.Errorf("membership %s/%s: %w", membership.Namespace, membership.Name, err)
		}
		latencies = append(latencies, time.Since(started))
	}
	slices.Sort(latencies)
	return percentile(latencies, 0.50), percentile(latencies, 0.99), nil
}

func awaitBinding(events <-chan watch.Event, membershipUID string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		select {
		case event, ok := <-events:
			if !ok {
				return fmt.Errorf("the watch ended")
			}
			if binding, isBinding := event.Object.(*rbacv1.RoleBinding); isBinding && binding.Labels[clientareav1alpha1.MembershipUIDLabel] == membershipUID {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("no RoleBinding after %s", timeout)
		}
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	index := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(index, len(sorted)-1))]
}

// createUnrelated creates n ConfigMaps and n RoleBindings that the operator
// has nothing to do with, in 10 namespaces of their own.
func createUnrelated(ctx context.Context, c client.Client, n, workers int) error {
	const namespaces = 10
	for i := range namespaces {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%d", i)}}); err != nil {
			return err
		}
	}
	payload := strings.Repeat("x", 1024)
	return parallel(2*n, workers, func(i int) error {
		namespace := fmt.Sprintf("unrelated-%d", i%namespaces)
		if i < n {
			return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: namespace},
				Data: map[string]string{"payload": payload}})
		}
		return c.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: fmt.Sprintf("someone-%d@example.com", i)}},
		})
	})
}
