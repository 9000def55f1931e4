// Package patch writes what a reconcile changed of one object, and nothing
// else: its status, and its finalizers, labels and annotations. The spec is
// never written: the people and GitOps tools that apply it own it. Modelled
// on Cluster API's util/patch and Flux's runtime/patch.
//
// A reconcile makes a Helper from the object it read, changes the object in
// memory and defers PatchOnExit:
//
//	helper := patch.NewHelper(domain, r.Client)
//	defer helper.PatchOnExit(ctx, domain, &retErr)
package patch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Helper writes what a reconcile changed of one object: its status through
// the status subresource, and its metadata (finalizers, labels,
// annotations), each with a merge patch against the object as it was read
// (the base), and only when it changed: an idle operator writes nothing
// (G4). After a successful Patch the base moves forward to the object, so a
// reconcile can patch mid-way (right after adding a finalizer) and go on.
type Helper struct {
	client client.Client
	// base is the object as it was read, or as this helper last wrote it.
	base client.Object
	// lockRV is the resourceVersion that an optimistic lock names: the one
	// read, then the one each patch returned. A lock so detects the writes
	// of others since this helper last read or wrote, not those an unlocked
	// patch went over. It is "" once a shared status patch was applied to a
	// newer object than the base: the server then holds conditions that
	// base lacks, and no later lock may name a version that has them.
	lockRV string
}

// NewHelper returns a Helper whose base is obj as it is now, which is the
// object as the reconcile read it.
func NewHelper(obj client.Object, c client.Client) *Helper {
	return &Helper{client: c, base: obj.DeepCopyObject().(client.Object), lockRV: obj.GetResourceVersion()}
}

// Option configures a Patch.
type Option func(*options)

type options struct {
	observedGeneration    bool
	notObservedGeneration bool
	optimisticLock        bool
	sharedStatus          client.Reader
}

// WithObservedGeneration sets status.observedGeneration to
// metadata.generation (obj implements SetObservedGeneration) before the
// diff: the spec of that generation was fully handled.
func WithObservedGeneration() Option {
	return func(o *options) { o.observedGeneration = true }
}

// WithoutObservedGeneration keeps PatchOnExit from setting
// status.observedGeneration: for a controller that writes only its part of
// another controller's object (the domain login's part of a Domain), whose
// success says nothing about the rest of the spec.
func WithoutObservedGeneration() Option {
	return func(o *options) { o.notObservedGeneration = true }
}

// WithOptimisticLock makes every patch of this call carry an optimistic
// lock on the version the helper last read or wrote, so that a reconcile
// that read a copy older than the server's (from a cache) gets a conflict
// instead of acting on it twice. The conflict is returned, never resolved
// (not even WithSharedStatus).
func WithOptimisticLock() Option {
	return func(o *options) { o.optimisticLock = true }
}

// WithSharedStatus is for a kind whose status two controllers write (a
// Domain: the domain controller and the domain-login controller each own
// some of its fields and conditions). Its status patch carries an
// optimistic lock, since a merge patch replaces the whole list of
// conditions. On a conflict the helper reads the latest object through
// apiReader (not a cache, which may be older still), applies to it only
// what this reconcile changed since the base (the status fields that
// changed, and the conditions it added, changed or removed, by type), and
// tries again, a few times with a short backoff, as Cluster API's patch
// helper does for conditions. A finalizer change that meets a conflict is
// resolved the same way: the other controller removes its own finalizer
// from the same deleted object at the same time. Without this option a
// status patch is a plain merge patch, without a lock.
func WithSharedStatus(apiReader client.Reader) Option {
	return func(o *options) { o.sharedStatus = apiReader }
}

// Patch writes what changed of obj since the base: nothing when nothing
// changed. obj keeps its in-memory fields (each patch is sent from a copy,
// so the server's response cannot overwrite a change not yet written) and
// takes the server's new resourceVersion.
//
// A finalizer change carries an optimistic lock (a merge patch replaces the
// whole list, so a finalizer someone added meanwhile must not be dropped)
// and goes first, so that its lock names the version the reconcile read
// rather than one a status patch returned, which may include writes it
// never saw. When it removed the last finalizer of a deleted object, the
// object is gone and its status is not written. Otherwise the status goes
// first, then labels and annotations, which a merge patch changes key by
// key and so need no lock.
func (h *Helper) Patch(ctx context.Context, obj client.Object, opts ...Option) error {
	o, err := h.prepare(obj, opts)
	if err != nil {
		return err
	}
	finalizersChanged := !equality.Semantic.DeepEqual(h.base.GetFinalizers(), obj.GetFinalizers())
	metadataChanged := finalizersChanged ||
		!equality.Semantic.DeepEqual(h.base.GetLabels(), obj.GetLabels()) ||
		!equality.Semantic.DeepEqual(h.base.GetAnnotations(), obj.GetAnnotations())
	lockMetadata := finalizersChanged || o.optimisticLock

	if metadataChanged && lockMetadata {
		gone, err := h.patchLockedMetadata(ctx, obj, o, finalizersChanged)
		if err != nil || gone {
			return err
		}
	}
	keepTransitionTimes(h.base, obj)
	if h.statusChanged(obj) {
		if err := h.patchStatus(ctx, obj, o); err != nil {
			return err
		}
	}
	if metadataChanged && !lockMetadata {
		if _, err := h.patchMetadata(ctx, obj, false); err != nil {
			return err
		}
	}
	h.base = obj.DeepCopyObject().(client.Object)
	return nil
}

// prepare reads the options and sets observedGeneration when asked.
func (h *Helper) prepare(obj client.Object, opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.observedGeneration {
		setter, ok := obj.(interface{ SetObservedGeneration(int64) })
		if !ok {
			return o, fmt.Errorf("%s has no status.observedGeneration to set", describe(obj))
		}
		setter.SetObservedGeneration(obj.GetGeneration())
	}
	return o, nil
}

// statusChanged tells whether obj's status differs from the base's.
func (h *Helper) statusChanged(obj client.Object) bool {
	status, hasStatus := statusOf(obj)
	baseStatus, _ := statusOf(h.base)
	return hasStatus && !equality.Semantic.DeepEqual(baseStatus.Interface(), status.Interface())
}

// patchLockedMetadata writes a finalizer change (or any metadata change
// under WithOptimisticLock) with a lock; a finalizer change that meets a
// conflict on a shared object is re-applied to the latest object. It
// reports whether the object is gone: the API server deleted it with its
// last finalizer, and nothing else is to be written.
func (h *Helper) patchLockedMetadata(ctx context.Context, obj client.Object, o options, finalizersChanged bool) (bool, error) {
	written, err := h.patchMetadata(ctx, obj, true)
	if apierrors.IsConflict(err) && finalizersChanged && o.sharedStatus != nil && !o.optimisticLock {
		written, err = h.rebaseFinalizers(ctx, obj, o.sharedStatus)
	}
	if err != nil {
		return false, err
	}
	if written.GetDeletionTimestamp() != nil && len(written.GetFinalizers()) == 0 {
		h.base = obj.DeepCopyObject().(client.Object)
		return true, nil
	}
	return false, nil
}

// PatchOnExit is what a Reconcile defers. It patches with
// WithObservedGeneration only when *retErr is nil: observedGeneration says
// that the spec of that generation was fully handled, which a failed
// reconcile did not do. It ignores NotFound (the object went away, e.g. its
// last finalizer was removed) and adds a patch failure to *retErr.
func (h *Helper) PatchOnExit(ctx context.Context, obj client.Object, retErr *error, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if *retErr == nil && !o.notObservedGeneration {
		opts = append(slices.Clip(opts), WithObservedGeneration())
	}
	if err := h.Patch(ctx, obj, opts...); err != nil && !apierrors.IsNotFound(err) {
		*retErr = kerrors.NewAggregate([]error{*retErr, err})
	}
}

// patchMetadata writes obj's finalizers, labels and annotations. The patch
// is made between two copies of obj that differ only in those, so that it
// carries nothing else.
func (h *Helper) patchMetadata(ctx context.Context, obj client.Object, lock bool) (client.Object, error) {
	before := obj.DeepCopyObject().(client.Object)
	before.SetFinalizers(h.base.GetFinalizers())
	before.SetLabels(h.base.GetLabels())
	before.SetAnnotations(h.base.GetAnnotations())
	patch, err := h.mergeFrom(obj, before, lock)
	if err != nil {
		return nil, err
	}
	written := obj.DeepCopyObject().(client.Object)
	if err := h.client.Patch(ctx, written, patch); err != nil {
		return nil, fmt.Errorf("patching the metadata of %s: %w", describe(obj), err)
	}
	h.base.SetFinalizers(slices.Clone(obj.GetFinalizers()))
	h.base.SetLabels(maps.Clone(obj.GetLabels()))
	h.base.SetAnnotations(maps.Clone(obj.GetAnnotations()))
	h.written(obj, written)
	return written, nil
}

// patchStatus writes obj's status through the status subresource, which
// ignores everything else.
func (h *Helper) patchStatus(ctx context.Context, obj client.Object, o options) error {
	shared := o.sharedStatus != nil && !o.optimisticLock
	written := obj.DeepCopyObject().(client.Object)
	patch, err := h.mergeFrom(obj, withStatusOf(obj, h.base), shared || o.optimisticLock)
	if err == nil {
		err = h.client.Status().Patch(ctx, written, patch)
	}
	rebased := shared && apierrors.IsConflict(err)
	if rebased {
		// The other controller wrote meanwhile (or did before: no lockRV).
		written, err = h.rebaseStatus(ctx, obj, o.sharedStatus)
	}
	if err != nil {
		return fmt.Errorf("patching the status of %s: %w", describe(obj), err)
	}
	baseStatus, _ := statusOf(h.base)
	status, _ := statusOf(obj.DeepCopyObject().(client.Object))
	baseStatus.Set(status)
	h.written(obj, written)
	if rebased {
		h.lockRV = "" // the server holds the other controller's changes too
	}
	return nil
}

// rebaseStatus applies this reconcile's status changes to the latest object
// and patches that, until no one else writes in between.
func (h *Helper) rebaseStatus(ctx context.Context, obj client.Object, apiReader client.Reader) (client.Object, error) {
	var latest client.Object
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		// A fresh object: decoding into a used one would keep the fields
		// the server no longer has.
		latest = reflect.New(reflect.TypeOf(obj).Elem()).Interface().(client.Object)
		if err := apiReader.Get(ctx, client.ObjectKeyFromObject(obj), latest); err != nil {
			return err
		}
		before := latest.DeepCopyObject().(client.Object)
		applyStatusChanges(latest, h.base, obj.DeepCopyObject().(client.Object))
		if status, _ := statusOf(latest); equality.Semantic.DeepEqual(mustStatus(before), status.Interface()) {
			return nil // the server has it already: a reconcile on a stale cache
		}
		return h.client.Status().Patch(ctx, latest, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
	return latest, err
}

// rebaseFinalizers applies this reconcile's finalizer changes (those it
// added or removed since the base) to the latest object, and patches its
// metadata (with its label and annotation changes) with a lock on that
// version, until no one else writes in between. obj and the base then hold
// the server's metadata, so that no later patch puts back a finalizer that
// another controller removed.
func (h *Helper) rebaseFinalizers(ctx context.Context, obj client.Object, apiReader client.Reader) (client.Object, error) {
	var written client.Object
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		latest := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(client.Object)
		if err := apiReader.Get(ctx, client.ObjectKeyFromObject(obj), latest); err != nil {
			return err
		}
		before := latest.DeepCopyObject().(client.Object)
		latest.SetFinalizers(applyChanges(latest.GetFinalizers(), h.base.GetFinalizers(), obj.GetFinalizers()))
		latest.SetLabels(applyMapChanges(latest.GetLabels(), h.base.GetLabels(), obj.GetLabels()))
		latest.SetAnnotations(applyMapChanges(latest.GetAnnotations(), h.base.GetAnnotations(), obj.GetAnnotations()))
		written = latest
		if equality.Semantic.DeepEqual(before.GetFinalizers(), latest.GetFinalizers()) &&
			equality.Semantic.DeepEqual(before.GetLabels(), latest.GetLabels()) &&
			equality.Semantic.DeepEqual(before.GetAnnotations(), latest.GetAnnotations()) {
			return nil
		}
		return h.client.Patch(ctx, latest, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return nil, fmt.Errorf("patching the finalizers of %s: %w", describe(obj), err)
	}
	for _, o := range []client.Object{obj, h.base} {
		o.SetFinalizers(slices.Clone(written.GetFinalizers()))
		o.SetLabels(maps.Clone(written.GetLabels()))
		o.SetAnnotations(maps.Clone(written.GetAnnotations()))
	}
	obj.SetResourceVersion(written.GetResourceVersion())
	h.base.SetResourceVersion(written.GetResourceVersion())
	h.lockRV = written.GetResourceVersion()
	return written, nil
}

// applyChanges is latest with what changed from base to want: the entries
// want added, and without those it removed.
func applyChanges(latest, base, want []string) []string {
	result := slices.DeleteFunc(slices.Clone(latest), func(f string) bool { return slices.Contains(base, f) && !slices.Contains(want, f) })
	for _, f := range want {
		if !slices.Contains(base, f) && !slices.Contains(result, f) {
			result = append(result, f)
		}
	}
	return result
}

// applyMapChanges is latest with the keys that changed from base to want
// set or removed as in want.
func applyMapChanges(latest, base, want map[string]string) map[string]string {
	result := maps.Clone(latest)
	for key, value := range want {
		if old, ok := base[key]; !ok || old != value {
			if result == nil {
				result = map[string]string{}
			}
			result[key] = value
		}
	}
	for key := range base {
		if _, ok := want[key]; !ok {
			delete(result, key)
		}
	}
	return result
}

// mustStatus is the status of an object that has one.
func mustStatus(obj client.Object) any {
	status, _ := statusOf(obj)
	return status.Interface()
}

// mergeFrom is a merge patch from before, with an optimistic lock on lockRV
// when lock is set.
func (h *Helper) mergeFrom(obj, before client.Object, lock bool) (client.Patch, error) {
	if !lock {
		return client.MergeFrom(before), nil
	}
	if h.lockRV == "" {
		gvk, _ := h.client.GroupVersionKindFor(obj)
		return nil, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, obj.GetName(),
			errors.New("its status changed since it was read"))
	}
	before.SetResourceVersion(h.lockRV)
	return client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), nil
}

// written records a successful patch: obj and the lock take its
// resourceVersion.
func (h *Helper) written(obj, written client.Object) {
	obj.SetResourceVersion(written.GetResourceVersion())
	h.base.SetResourceVersion(written.GetResourceVersion())
	if h.lockRV != "" {
		h.lockRV = written.GetResourceVersion()
	}
}

// applyStatusChanges applies to latest's status what changed from base to
// obj: each status field that changed, and of the conditions only those
// whose type was added, changed or removed, so that the conditions the
// other controller owns stay as it wrote them. obj must be a copy that
// nothing else uses: latest takes its values.
func applyStatusChanges(latest, base, obj client.Object) {
	l, _ := statusOf(latest)
	b, _ := statusOf(base)
	o, _ := statusOf(obj)
	for i := range o.NumField() {
		if !o.Type().Field(i).IsExported() || equality.Semantic.DeepEqual(b.Field(i).Interface(), o.Field(i).Interface()) {
			continue
		}
		if conditions, ok := o.Field(i).Interface().([]metav1.Condition); ok {
			merged := mergeConditions(l.Field(i).Interface().([]metav1.Condition), b.Field(i).Interface().([]metav1.Condition), conditions)
			l.Field(i).Set(reflect.ValueOf(merged))
			continue
		}
		l.Field(i).Set(o.Field(i))
	}
}

// keepTransitionTimes gives each condition of obj whose status is the one
// it had in base base's lastTransitionTime. A condition set one way and
// back within one reconcile (one phase says True, a later one False, as
// before) made no transition; its new time alone would make a status
// write, and the write an event that brings the object back at once,
// past the error's back-off: a write loop.
func keepTransitionTimes(base, obj client.Object) {
	o, ok := statusOf(obj)
	if !ok {
		return
	}
	b, _ := statusOf(base)
	for i := range o.NumField() {
		conditions, ok := o.Field(i).Interface().([]metav1.Condition)
		if !o.Type().Field(i).IsExported() || !ok {
			continue
		}
		before := b.Field(i).Interface().([]metav1.Condition)
		for j := range conditions {
			if was := find(before, conditions[j].Type); was != nil && was.Status == conditions[j].Status {
				conditions[j].LastTransitionTime = was.LastTransitionTime
			}
		}
	}
}

// mergeConditions applies to latest the conditions that differ between
// before and after, by type.
func mergeConditions(latest, before, after []metav1.Condition) []metav1.Condition {
	merged := slices.Clone(latest)
	for _, changed := range slices.Concat(after, before) {
		was, is := find(before, changed.Type), find(after, changed.Type)
		if equality.Semantic.DeepEqual(was, is) {
			continue
		}
		i := slices.IndexFunc(merged, func(c metav1.Condition) bool { return c.Type == changed.Type })
		switch {
		case is == nil && i >= 0:
			merged = slices.Delete(merged, i, i+1)
		case is != nil && i >= 0:
			merged[i] = *is
		case is != nil:
			merged = append(merged, *is)
		}
	}
	return merged
}

func find(conditions []metav1.Condition, conditionType string) *metav1.Condition {
	if i := slices.IndexFunc(conditions, func(c metav1.Condition) bool { return c.Type == conditionType }); i >= 0 {
		return &conditions[i]
	}
	return nil
}

// statusOf returns the Status field of obj, a pointer to a struct as
// kubebuilder lays out every kind with a status subresource; ok is false
// for a kind without one (a claim), which has only metadata to patch.
func statusOf(obj client.Object) (status reflect.Value, ok bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	status = v.Elem().FieldByName("Status")
	return status, status.IsValid() && status.Kind() == reflect.Struct
}

// withStatusOf returns a copy of obj with from's status.
func withStatusOf(obj, from client.Object) client.Object {
	out := obj.DeepCopyObject().(client.Object)
	status, _ := statusOf(out)
	fromStatus, _ := statusOf(from.DeepCopyObject().(client.Object))
	status.Set(fromStatus)
	return out
}

func describe(obj client.Object) string {
	return fmt.Sprintf("%T %s", obj, client.ObjectKeyFromObject(obj))
}
