package intern

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
	"unsafe"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

func same(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// decoded returns a fresh decoding of obj, as an informer has it: every
// string of its own.
func decoded[T any](t *testing.T, obj *T) *T {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func binding(name, uid, resourceVersion string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "clientarea-acme", UID: types.UID("uid-" + uid), ResourceVersion: resourceVersion,
			Labels:          map[string]string{"app.kubernetes.io/managed-by": "clientarea-operator", "clientarea.dev/account": "acme"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "clientarea.dev/v1alpha1", Kind: "Account", Name: "acme", UID: "account-uid"}},
		},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "clientarea-owner"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "alice@example.com"}},
	}
}

// TestObjectsShareRepeatedStrings: two bindings decoded apart share one
// copy of every string they have in common (labels, namespace, owner,
// role, subject) and nothing else changes; their UIDs and resource versions
// are not kept.
func TestObjectsShareRepeatedStrings(t *testing.T) {
	table := NewTable(1024)
	first, second := decoded(t, binding("owner", "1", "10")), decoded(t, binding("member", "2", "11"))
	want := second.DeepCopy()
	table.Object(first)
	table.Object(second)

	if !equality.Semantic.DeepEqual(second, want) {
		t.Fatalf("interning changed the object:\n%+v\nwant\n%+v", second, want)
	}
	for what, pair := range map[string][2]string{
		"namespace":            {first.Namespace, second.Namespace},
		"owner's name":         {first.OwnerReferences[0].Name, second.OwnerReferences[0].Name},
		"owner's UID":          {string(first.OwnerReferences[0].UID), string(second.OwnerReferences[0].UID)},
		"owner's API version":  {first.OwnerReferences[0].APIVersion, second.OwnerReferences[0].APIVersion},
		"role":                 {first.RoleRef.Name, second.RoleRef.Name},
		"subject":              {first.Subjects[0].Name, second.Subjects[0].Name},
		"account label value":  {first.Labels["clientarea.dev/account"], second.Labels["clientarea.dev/account"]},
		"account label's name": {keyOf(first.Labels, "clientarea.dev/account"), keyOf(second.Labels, "clientarea.dev/account")},
	} {
		if !same(pair[0], pair[1]) {
			t.Errorf("%s %q: two copies, want one", what, pair[0])
		}
	}
	if n := table.Len(); n != 15 {
		t.Errorf("table holds %d strings, want the 13 the bindings share and their 2 names", n)
	}
	for _, s := range []string{"uid-1", "uid-2", "10", "11"} {
		if _, kept := table.current[s]; kept {
			t.Errorf("the table keeps %q, which belongs to one object version", s)
		}
	}
}

func keyOf(m map[string]string, key string) string {
	for k := range m {
		if k == key {
			return k
		}
	}
	return ""
}

// TestTableIsBounded: strings seen once are forgotten after two
// generations; a string seen in every generation stays the same copy.
func TestTableIsBounded(t *testing.T) {
	table := NewTable(100)
	kept := table.String(string([]byte("clientarea-operator")))
	for i := range 1000 {
		table.String(fmt.Sprintf("name-%d", i))
		if i%50 == 0 {
			if got := table.String(string([]byte("clientarea-operator"))); !same(got, kept) {
				t.Fatalf("after %d other strings, a string seen in every generation got a new copy", i)
			}
		}
		if n := table.Len(); n > 200 {
			t.Fatalf("table of limit 100 holds %d strings", n)
		}
	}
	long := string(make([]byte, MaxLength+1))
	if got := table.String(long); !same(got, long) {
		t.Fatal("a string longer than MaxLength was copied")
	}
}

// TestOddObjects: objects with nil maps and pointers, times, conditions,
// and unstructured content come through unchanged and without a panic.
func TestOddObjects(t *testing.T) {
	table := NewTable(1024)
	now := metav1.NewTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	domain := &clientareav1alpha1.Domain{
		ObjectMeta: metav1.ObjectMeta{Name: "example.com", Namespace: "clientarea-acme", CreationTimestamp: now},
		Status: clientareav1alpha1.DomainStatus{Conditions: []metav1.Condition{
			{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Registered", Message: "registered", LastTransitionTime: now},
		}},
	}
	unstructuredObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"a": "b"}},
		"data":     map[string]any{"list": []any{"one", int64(2), nil, map[string]any{"k": "v"}}},
	}}
	for _, obj := range []any{
		domain,
		&clientareav1alpha1.Domain{},
		&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{}}},
		unstructuredObj,
		&rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, Resources: []string{"users"}, ResourceNames: nil}}},
	} {
		before := deepCopy(t, obj)
		table.Object(obj)
		if !equality.Semantic.DeepEqual(obj, before) {
			t.Errorf("interning changed %T:\n%+v\nwant\n%+v", obj, obj, before)
		}
	}
	table.Object(nil)
}

func deepCopy(t *testing.T, obj any) any {
	t.Helper()
	switch o := obj.(type) {
	case *clientareav1alpha1.Domain:
		return o.DeepCopy()
	case *metav1.PartialObjectMetadata:
		return o.DeepCopy()
	case *unstructured.Unstructured:
		return o.DeepCopy()
	case *rbacv1.ClusterRole:
		return o.DeepCopy()
	}
	t.Fatalf("no copy for %T", obj)
	return nil
}
