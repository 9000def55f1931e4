// Package intern keeps one copy of the strings that repeat across the
// objects of the manager's caches: at 1,000 accounts the caches hold some
// 38,000 objects, and the same label keys and values, namespace names, owner
// references, condition types and reasons, RBAC verbs, resources and
// subjects each arrive decoded into a string of their own, object by
// object. Sharing one copy is safe because Go strings never change.
//
// Written here because no maintained library interns the strings of decoded
// Kubernetes objects: the standard library's unique package forgets a
// string as soon as no Handle to it is held, and the cached objects hold
// strings, not Handles, so it would not share a string across two garbage
// collections.
package intern

import (
	"reflect"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxLength is the longest string a Table keeps: longer ones (a long
// message, an applied configuration) seldom repeat.
const MaxLength = 256

// Table is a bounded set of strings, safe for concurrent use. It holds at
// most two generations of limit strings each: a string seen in the current
// generation, or brought over from the previous one when seen again, stays;
// a string not seen for two generations is forgotten (the objects holding
// it keep it), so names of objects long deleted do not stay for the life
// of the process.
type Table struct {
	mu       sync.Mutex
	limit    int
	current  map[string]string
	previous map[string]string
}

// NewTable returns a Table of at most two generations of limit strings.
func NewTable(limit int) *Table {
	return &Table{limit: max(limit, 1), current: map[string]string{}}
}

// String returns the table's copy of s, keeping s if it has none.
func (t *Table) String(s string) string {
	if s == "" || len(s) > MaxLength {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if kept, ok := t.current[s]; ok {
		return kept
	}
	kept, ok := t.previous[s]
	if !ok {
		// A copy of its own, so that a string cut from a larger one does
		// not keep the larger one alive.
		kept = string([]byte(s))
	}
	if len(t.current) >= t.limit {
		t.previous, t.current = t.current, make(map[string]string, t.limit/4)
	}
	t.current[kept] = kept
	return kept
}

// Len is the number of strings the table holds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.current) + len(t.previous)
}

// Object replaces every string of obj (a pointer to a decoded object) by
// the table's copy, except those that are unique to one object version by
// design: its UID and resourceVersion.
func (t *Table) Object(obj any) {
	t.value(reflect.ValueOf(obj))
}

var objectMetaType = reflect.TypeFor[metav1.ObjectMeta]()

// uniqueMetaFields are the ObjectMeta fields no other object shares.
var uniqueMetaFields = map[string]bool{"UID": true, "ResourceVersion": true, "SelfLink": true}

func (t *Table) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			t.value(v.Elem())
		}
	case reflect.Interface:
		t.inInterface(v)
	case reflect.Struct:
		t.fields(v)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes, not strings
		}
		for i := range v.Len() {
			t.value(v.Index(i))
		}
	case reflect.Map:
		t.entries(v)
	case reflect.String:
		if v.CanSet() {
			v.SetString(t.String(v.String()))
		}
	}
}

// fields walks a struct's exported fields; unexported ones (a time's
// location, a quantity's cached form) are not the object's data.
func (t *Table) fields(v reflect.Value) {
	meta := v.Type() == objectMetaType
	for i := range v.NumField() {
		if !v.Field(i).CanSet() || meta && uniqueMetaFields[v.Type().Field(i).Name] {
			continue
		}
		t.value(v.Field(i))
	}
}

// entries replaces a map's keys and values by the table's copies. Keys are
// replaced by storing their value again: a map keeps the key it was last
// stored under when it is a string. Values that are not addressable are
// walked in a copy, stored back.
func (t *Table) entries(v reflect.Value) {
	if v.IsNil() {
		return
	}
	keyIsString := v.Type().Key().Kind() == reflect.String
	iter := v.MapRange()
	for iter.Next() {
		key, value := iter.Key(), iter.Value()
		if keyIsString {
			key = reflect.ValueOf(t.String(key.String())).Convert(key.Type())
		}
		copied := reflect.New(value.Type()).Elem()
		copied.Set(value)
		t.value(copied)
		v.SetMapIndex(key, copied)
	}
}

// inInterface replaces a string held in a settable interface (as in an
// unstructured object's maps) and walks anything else it holds.
func (t *Table) inInterface(v reflect.Value) {
	if v.IsNil() {
		return
	}
	held := v.Elem()
	if held.Kind() == reflect.String {
		if v.CanSet() {
			v.Set(reflect.ValueOf(t.String(held.String())).Convert(held.Type()))
		}
		return
	}
	t.value(held)
}
