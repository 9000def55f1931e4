package patch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The helper is tested against a real API server (etcd and kube-apiserver,
// with the project's CRDs and admission policies), never a fake client:
// what matters is what the server makes of the patches.

var (
	env       *testenv.Env
	namespace = "patch-test"
	domains   atomic.Int64 // names the Domains
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if env, err = testenv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// request is one write that reached the client, with its patch body.
type request struct {
	verb string // "patch" or "patch status"
	body string
	err  error
}

// requests records the writes (and, for an API reader, the reads) of a
// client.
type requests struct {
	mu     sync.Mutex
	writes []request
	gets   int
}

func (r *requests) record(verb string, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, request{verb: verb, body: string(body), err: err})
}

// verbs lists the writes, a failed one with its error's reason.
func (r *requests) verbs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var verbs []string
	for _, w := range r.writes {
		v := w.verb
		if w.err != nil {
			v += " (" + string(apierrors.ReasonForError(w.err)) + ")"
		}
		verbs = append(verbs, v)
	}
	return verbs
}

func (r *requests) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes, r.gets = nil, 0
}

// countingClient is an administrator's client that records what it sends.
func countingClient(t *testing.T) (client.Client, *requests) {
	t.Helper()
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	r := &requests{}
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			r.mu.Lock()
			r.gets++
			r.mu.Unlock()
			return c.Get(ctx, key, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			body, _ := p.Data(obj) // before the response replaces obj
			err := c.Patch(ctx, obj, p, opts...)
			r.record("patch", body, err)
			return err
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			body, _ := p.Data(obj)
			err := c.SubResource(sub).Patch(ctx, obj, p, opts...)
			r.record("patch "+sub, body, err)
			return err
		},
	}), r
}

func newContact(t *testing.T) *clientareav1alpha1.Contact {
	t.Helper()
	contact := &clientareav1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "contact-", Namespace: namespace},
		Spec: clientareav1alpha1.ContactDetails{Name: "Alice Example", City: "Berlin", CountryCode: "DE",
			Email: "alice@example.com"},
	}
	if err := env.Client.Create(context.Background(), contact); err != nil {
		t.Fatal(err)
	}
	return contact
}

func newDomain(t *testing.T) *clientareav1alpha1.Domain {
	t.Helper()
	domain := &clientareav1alpha1.Domain{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("domain-%d.example", domains.Add(1)), Namespace: namespace},
		Spec: clientareav1alpha1.DomainSpec{HolderRef: clientareav1alpha1.LocalObjectReference{Name: "holder"},
			NameServers: []clientareav1alpha1.DomainName{"ns1.example.com", "ns2.example.com"}},
	}
	if err := env.Client.Create(context.Background(), domain); err != nil {
		t.Fatal(err)
	}
	return domain
}

// stored reads obj as the server holds it.
func stored[T client.Object](t *testing.T, obj T) T {
	t.Helper()
	fresh := obj.DeepCopyObject().(T)
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), fresh); err != nil {
		t.Fatal(err)
	}
	return fresh
}

func expectWrites(t *testing.T, r *requests, want ...string) {
	t.Helper()
	if got := r.verbs(); !slices.Equal(got, want) {
		t.Errorf("writes %q, want %q", got, want)
	}
}

func setInUse(contact *clientareav1alpha1.Contact, message string) {
	conditions.Set(contact, clientareav1alpha1.ContactConditionInUse, metav1.ConditionTrue, clientareav1alpha1.ContactReasonUsed, message)
}

func TestUnchangedObjectSendsNothing(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	setInUse(contact, "billed to")
	helper = patch.NewHelper(contact, c) // as if read with this status
	contact.Spec.City = "Hamburg"        // the spec is never written
	setInUse(contact, "billed to")       // the same condition again
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r)
}

// G4: a condition set one way and back within one reconcile (a phase sets
// it True, a later one False, as it was) made no transition and is not
// written: its new lastTransitionTime alone would make a write, and the
// write an event that brings the object back at once, a write loop.
func TestConditionSetAndSetBackSendsNothing(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	unused := func() {
		conditions.Set(contact, clientareav1alpha1.ContactConditionInUse, metav1.ConditionFalse, clientareav1alpha1.ContactReasonUnused, "not used")
	}
	unused()
	if err := patch.NewHelper(contact, c).Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	r.reset()
	time.Sleep(1100 * time.Millisecond) // a later second: the API server keeps whole seconds
	helper := patch.NewHelper(contact, c)
	setInUse(contact, "billed to")
	unused()
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r)

	// A real transition is written, with its new time.
	before := conditions.Get(contact, clientareav1alpha1.ContactConditionInUse).LastTransitionTime
	setInUse(contact, "billed to")
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r, "patch status")
	if after := conditions.Get(contact, clientareav1alpha1.ContactConditionInUse).LastTransitionTime; !after.After(before.Time) {
		t.Errorf("a transition's lastTransitionTime %v, want after %v", after, before)
	}
}

func TestStatusAndMetadataInOnePatch(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)

	setInUse(contact, "billed to by account a")
	contact.Status.UsedBy = []clientareav1alpha1.ContactUse{{Kind: "Account", Name: "a"}}
	controllerutil.AddFinalizer(contact, "test.clientarea.dev/extra")
	contact.Labels = map[string]string{"test.clientarea.dev/label": "yes"}
	contact.Spec.City = "Hamburg"
	inMemory := contact.Status.DeepCopy()
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}

	expectWrites(t, r, "patch", "patch status")
	for _, w := range r.writes {
		if strings.Contains(w.body, "spec") || strings.Contains(w.body, "Hamburg") {
			t.Errorf("a patch writes the spec: %s", w.body)
		}
	}
	if !strings.Contains(r.writes[0].body, `"resourceVersion"`) {
		t.Errorf("the finalizer patch carries no optimistic lock: %s", r.writes[0].body)
	}
	if strings.Contains(r.writes[1].body, `"resourceVersion"`) {
		t.Errorf("a plain status patch carries a lock: %s", r.writes[1].body)
	}
	kept := contact.Status.Conditions[0].LastTransitionTime.Equal(&inMemory.Conditions[0].LastTransitionTime) &&
		slices.Equal(contact.Status.UsedBy, inMemory.UsedBy) && contact.Spec.City == "Hamburg"
	if !kept {
		t.Errorf("the server's response overwrote the object in memory: %+v", contact)
	}
	server := stored(t, contact)
	if contact.ResourceVersion != server.ResourceVersion {
		t.Errorf("resourceVersion %s in memory, %s on the server", contact.ResourceVersion, server.ResourceVersion)
	}
	if !conditions.IsTrue(server, clientareav1alpha1.ContactConditionInUse) || len(server.Status.UsedBy) != 1 ||
		!slices.Equal(server.Finalizers, []string{"clientarea.dev/contact", "test.clientarea.dev/extra"}) ||
		server.Labels["test.clientarea.dev/label"] != "yes" || server.Spec.City != "Berlin" {
		t.Errorf("the server holds %+v", server)
	}

	r.reset()
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r) // the base moved forward: nothing left to write
}

func TestLabelsAndAnnotationsNeedNoLock(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)

	// Someone else writes meanwhile: a lock would fail.
	other := stored(t, contact)
	other.Labels = map[string]string{"someone": "else"}
	if err := env.Client.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	contact.Labels = map[string]string{"test.clientarea.dev/label": "yes"}
	contact.Annotations = map[string]string{"test.clientarea.dev/note": "hello"}
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r, "patch")
	if strings.Contains(r.writes[0].body, "resourceVersion") {
		t.Errorf("a label patch carries a lock: %s", r.writes[0].body)
	}
	server := stored(t, contact)
	if server.Labels["someone"] != "else" || server.Labels["test.clientarea.dev/label"] != "yes" || server.Annotations["test.clientarea.dev/note"] != "hello" {
		t.Errorf("labels %v, annotations %v", server.Labels, server.Annotations)
	}
}

func TestFinalizerChangeKeepsAFinalizerAddedMeanwhile(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)

	other := stored(t, contact)
	controllerutil.AddFinalizer(other, "someone.else/finalizer")
	if err := env.Client.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	controllerutil.RemoveFinalizer(contact, "clientarea.dev/contact")
	err := helper.Patch(ctx, contact)
	if !apierrors.IsConflict(err) {
		t.Fatalf("Patch returned %v, want a conflict", err)
	}
	expectWrites(t, r, "patch (Conflict)")
	if server := stored(t, contact); !slices.Equal(server.Finalizers, []string{"clientarea.dev/contact", "someone.else/finalizer"}) {
		t.Errorf("finalizers %v", server.Finalizers)
	}
}

func TestObservedGeneration(t *testing.T) {
	ctx := context.Background()
	c, _ := countingClient(t)
	tests := []struct {
		name           string
		reconcileErr   error
		wantObserved   int64
		wantErrMessage string
	}{
		{"a reconcile that succeeded", nil, 1, ""},
		{"a reconcile that failed", errors.New("the registry is down"), 0, "the registry is down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := newContact(t)
			helper := patch.NewHelper(contact, c)
			setInUse(contact, "billed to")
			retErr := tt.reconcileErr
			helper.PatchOnExit(ctx, contact, &retErr)
			if fmt.Sprint(retErr) != fmt.Sprint(tt.reconcileErr) {
				t.Errorf("PatchOnExit made the error %v", retErr)
			}
			server := stored(t, contact)
			if server.Status.ObservedGeneration != tt.wantObserved || contact.Status.ObservedGeneration != tt.wantObserved {
				t.Errorf("observedGeneration %d on the server, %d in memory, want %d", server.Status.ObservedGeneration,
					contact.Status.ObservedGeneration, tt.wantObserved)
			}
			if !conditions.IsTrue(server, clientareav1alpha1.ContactConditionInUse) {
				t.Error("the status of a failed reconcile was not written")
			}
		})
	}
	t.Run("Patch", func(t *testing.T) {
		contact := newContact(t)
		if err := patch.NewHelper(contact, c).Patch(ctx, contact, patch.WithObservedGeneration()); err != nil {
			t.Fatal(err)
		}
		if got := stored(t, contact).Status.ObservedGeneration; got != contact.Generation {
			t.Errorf("observedGeneration %d, want %d", got, contact.Generation)
		}
	})
	t.Run("a kind without status", func(t *testing.T) {
		claim := &clientareav1alpha1.EmailClaim{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
		if err := patch.NewHelper(claim, c).Patch(ctx, claim, patch.WithObservedGeneration()); err == nil {
			t.Error("no error for an object without status.observedGeneration")
		}
	})
}

func TestPatchMidReconcile(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)

	controllerutil.AddFinalizer(contact, "test.clientarea.dev/extra")
	if err := helper.Patch(ctx, contact); err != nil {
		t.Fatal(err)
	}
	setInUse(contact, "billed to")
	var retErr error
	helper.PatchOnExit(ctx, contact, &retErr)
	if retErr != nil {
		t.Fatal(retErr)
	}
	expectWrites(t, r, "patch", "patch status")
	if body := r.writes[1].body; strings.Contains(body, "finalizers") || !strings.Contains(body, "InUse") {
		t.Errorf("the later patch is not just the later change: %s", body)
	}
	server := stored(t, contact)
	if !controllerutil.ContainsFinalizer(server, "test.clientarea.dev/extra") || !conditions.IsTrue(server, clientareav1alpha1.ContactConditionInUse) {
		t.Errorf("the server holds %+v", server)
	}

	// A lock after a patch names the version that patch returned.
	r.reset()
	controllerutil.RemoveFinalizer(contact, "test.clientarea.dev/extra")
	setInUse(contact, "billed to, and holds a domain")
	if err := helper.Patch(ctx, contact, patch.WithOptimisticLock()); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r, "patch", "patch status")
}

func TestOptimisticLock(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	transfer := newContact(t) // as an OwnershipTransfer's status would be
	helper := patch.NewHelper(transfer, c)

	// The copy this reconcile read is older than the server's.
	other := stored(t, transfer)
	setInUse(other, "written by an earlier reconcile")
	if err := env.Client.Status().Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	setInUse(transfer, "written twice")
	if err := helper.Patch(ctx, transfer, patch.WithOptimisticLock()); !apierrors.IsConflict(err) {
		t.Fatalf("Patch returned %v, want a conflict", err)
	}
	expectWrites(t, r, "patch status (Conflict)")
	if got := conditions.Get(stored(t, transfer), clientareav1alpha1.ContactConditionInUse); got.Message != "written by an earlier reconcile" {
		t.Errorf("the stale reconcile overwrote the status: %q", got.Message)
	}
}

// setLogin is what the domain-login controller writes; setHolder what the
// domain controller writes.
func setLogin(domain *clientareav1alpha1.Domain) {
	domain.Status.LoginServiceAccount = "login-" + domain.Name
	conditions.Set(domain, clientareav1alpha1.DomainConditionLoginReady, metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated, "created")
}

func setHolder(domain *clientareav1alpha1.Domain) {
	domain.Status.HolderName = "Alice Example"
	conditions.Set(domain, clientareav1alpha1.DomainConditionHolderResolved, metav1.ConditionTrue, clientareav1alpha1.DomainReasonHolderFound, "found")
}

func TestSharedStatus(t *testing.T) {
	ctx := context.Background()
	domain := newDomain(t)
	// The two controllers read the same version.
	domainCtl, domainRequests := countingClient(t)
	loginCtl, loginRequests := countingClient(t)
	loginReader, loginReads := countingClient(t)
	byDomainCtl, byLoginCtl := domain.DeepCopy(), domain.DeepCopy()
	domainHelper, loginHelper := patch.NewHelper(byDomainCtl, domainCtl), patch.NewHelper(byLoginCtl, loginCtl)

	setHolder(byDomainCtl)
	setLogin(byLoginCtl)
	var domainErr, loginErr error
	domainHelper.PatchOnExit(ctx, byDomainCtl, &domainErr, patch.WithSharedStatus(domainCtl))
	loginHelper.PatchOnExit(ctx, byLoginCtl, &loginErr, patch.WithSharedStatus(loginReader))
	if domainErr != nil || loginErr != nil {
		t.Fatal(domainErr, loginErr)
	}

	expectWrites(t, domainRequests, "patch status")
	expectWrites(t, loginRequests, "patch status (Conflict)", "patch status")
	if loginReads.gets != 1 {
		t.Errorf("the conflict was resolved with %d reads, want 1", loginReads.gets)
	}
	if !strings.Contains(domainRequests.writes[0].body, `"resourceVersion"`) {
		t.Errorf("a shared status patch carries no lock: %s", domainRequests.writes[0].body)
	}
	server := stored(t, domain)
	if !conditions.IsTrue(server, clientareav1alpha1.DomainConditionHolderResolved) || !conditions.IsTrue(server, clientareav1alpha1.DomainConditionLoginReady) ||
		server.Status.HolderName != "Alice Example" || server.Status.LoginServiceAccount != "login-"+domain.Name ||
		server.Status.ObservedGeneration != domain.Generation {
		t.Errorf("the server holds %+v", server.Status)
	}
	if byLoginCtl.Status.HolderName != "" || conditions.Get(byLoginCtl, clientareav1alpha1.DomainConditionHolderResolved) != nil {
		t.Errorf("the other controller's status reached the object in memory: %+v", byLoginCtl.Status)
	}
	if byLoginCtl.ResourceVersion != server.ResourceVersion {
		t.Errorf("resourceVersion %s in memory, %s on the server", byLoginCtl.ResourceVersion, server.ResourceVersion)
	}

	// A later status change of the login controller, in the same reconcile,
	// again keeps the domain controller's; removing its own condition
	// removes only that one.
	loginRequests.reset()
	loginReads.reset()
	byLoginCtl.Status.Conditions = slices.DeleteFunc(byLoginCtl.Status.Conditions, func(c metav1.Condition) bool {
		return c.Type == string(clientareav1alpha1.DomainConditionLoginReady)
	})
	byLoginCtl.Status.AuthCodeSecret = "auth-code"
	if err := loginHelper.Patch(ctx, byLoginCtl, patch.WithSharedStatus(loginReader)); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, loginRequests, "patch status")
	server = stored(t, domain)
	if !conditions.IsTrue(server, clientareav1alpha1.DomainConditionHolderResolved) || conditions.Get(server, clientareav1alpha1.DomainConditionLoginReady) != nil ||
		server.Status.HolderName != "Alice Example" || server.Status.AuthCodeSecret != "auth-code" {
		t.Errorf("the server holds %+v", server.Status)
	}

	// The server now holds conditions that the login controller's base
	// lacks: a lock it would take could drop them, so a finalizer change
	// needs a new read.
	loginRequests.reset()
	controllerutil.RemoveFinalizer(byLoginCtl, "clientarea.dev/domain-login")
	if err := loginHelper.Patch(ctx, byLoginCtl); !apierrors.IsConflict(err) {
		t.Errorf("Patch returned %v, want a conflict", err)
	}
	expectWrites(t, loginRequests)
}

// Without WithSharedStatus a status patch is a plain merge patch: the list
// of conditions is replaced as a whole, so the second writer's list wins.
func TestStatusNotSharedHasNoLock(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	domain := newDomain(t)
	byDomainCtl, byLoginCtl := domain.DeepCopy(), domain.DeepCopy()
	domainHelper, loginHelper := patch.NewHelper(byDomainCtl, c), patch.NewHelper(byLoginCtl, c)
	setHolder(byDomainCtl)
	setLogin(byLoginCtl)
	if err := domainHelper.Patch(ctx, byDomainCtl); err != nil {
		t.Fatal(err)
	}
	if err := loginHelper.Patch(ctx, byLoginCtl); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, r, "patch status", "patch status")
	server := stored(t, domain)
	if conditions.Get(server, clientareav1alpha1.DomainConditionHolderResolved) != nil || server.Status.HolderName != "Alice Example" {
		t.Errorf("the server holds %+v", server.Status)
	}
}

func TestFinalizerRemovalLetsTheObjectGo(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	if err := env.Client.Delete(ctx, contact); err != nil {
		t.Fatal(err)
	}
	contact = stored(t, contact)
	if contact.DeletionTimestamp == nil {
		t.Fatal("the contact is not being deleted")
	}
	helper := patch.NewHelper(contact, c)
	setInUse(contact, "no longer")
	controllerutil.RemoveFinalizer(contact, "clientarea.dev/contact")
	var retErr error
	helper.PatchOnExit(ctx, contact, &retErr)
	if retErr != nil {
		t.Errorf("PatchOnExit returned %v", retErr)
	}
	expectWrites(t, r, "patch")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(contact), contact.DeepCopy()); !apierrors.IsNotFound(err) {
		t.Errorf("the contact is still there: %v", err)
	}
}

func TestPatchOnExitIgnoresNotFound(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)

	// Someone else lets it go meanwhile.
	other := stored(t, contact)
	other.Finalizers = nil
	if err := env.Client.Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, other); err != nil {
		t.Fatal(err)
	}
	setInUse(contact, "billed to")
	retErr := error(nil)
	helper.PatchOnExit(ctx, contact, &retErr)
	if retErr != nil {
		t.Errorf("PatchOnExit returned %v", retErr)
	}
	expectWrites(t, r, "patch status (NotFound)")
}

func TestPatchOnExitAddsAFailureToTheReconcilesError(t *testing.T) {
	ctx := context.Background()
	c, _ := countingClient(t)
	contact := newContact(t)
	helper := patch.NewHelper(contact, c)
	other := stored(t, contact)
	setInUse(other, "written by someone else")
	if err := env.Client.Status().Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	setInUse(contact, "billed to")
	retErr := errors.New("the registry is down")
	helper.PatchOnExit(ctx, contact, &retErr, patch.WithOptimisticLock())
	if message := fmt.Sprint(retErr); !strings.Contains(message, "the registry is down") || !strings.Contains(message, "patching the status") {
		t.Errorf("PatchOnExit made the error %q", message)
	}
}

// Two controllers of one kind (the Domain's and its login's) each remove
// their own finalizer from the same deleted object, from the same read:
// the second meets a conflict, re-applies its removal to the latest object,
// and the object goes, with neither finalizer put back.
func TestSharedObjectFinalizersRemovedAtOnce(t *testing.T) {
	ctx := context.Background()
	c, r := countingClient(t)
	domain := newDomain(t)
	if err := env.Client.Delete(ctx, domain); err != nil {
		t.Fatal(err)
	}
	domain = stored(t, domain)
	if len(domain.Finalizers) != 2 {
		t.Fatalf("want the two finalizers the admission policy sets, have %v", domain.Finalizers)
	}
	first, second := domain.DeepCopy(), domain.DeepCopy()
	firstHelper, secondHelper := patch.NewHelper(first, c), patch.NewHelper(second, c)
	controllerutil.RemoveFinalizer(first, "clientarea.dev/domain")
	controllerutil.RemoveFinalizer(second, "clientarea.dev/domain-login")
	if err := firstHelper.Patch(ctx, first, patch.WithSharedStatus(env.Client)); err != nil {
		t.Fatal(err)
	}
	r.reset()
	if err := secondHelper.Patch(ctx, second, patch.WithSharedStatus(env.Client)); err != nil {
		t.Fatalf("the second removal: %v", err)
	}
	expectWrites(t, r, "patch (Conflict)", "patch")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(domain), domain.DeepCopy()); !apierrors.IsNotFound(err) {
		t.Errorf("the domain is still there: %v", err)
	}
}
