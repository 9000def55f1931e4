package numbering

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/watch"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// noWatch lets the interceptor wrap a client without watches: the
// ClaimStore never watches.
type noWatch struct{ client.Client }

func (noWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("the ClaimStore does not watch")
}

// newSequenceNamed is newSequence, yearly, under a name of the test's own.
func newSequenceNamed(store Store, name string) *Sequence {
	s := New(store, clocktesting.NewFakeClock(start), name, true)
	s.retries = []time.Duration{time.Microsecond, time.Microsecond, time.Microsecond}
	return s
}

func TestClaimStoreMakesNumberClaims(t *testing.T) {
	t.Parallel()
	c := startEnv(t).Client
	store := NewClaimStore(c, c)
	sequence, otherSequence := uniqueName("invoice"), uniqueName("customer")
	series := sequence + "-2026"
	at := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	claim := Claim{Series: series, Number: 7, ReservedAt: at,
		Holder: Holder{Kind: "Domain", Name: "example.de", UID: "uid-d", Event: "uid-d-reg-1767225600"}}
	if err := store.Create(t.Context(), sequence, claim); err != nil {
		t.Fatal(err)
	}
	other := Claim{Series: otherSequence, Number: 1, ReservedAt: at, Holder: Holder{Kind: "Account", Name: "a", UID: "uid-a"}}
	if err := store.Create(t.Context(), otherSequence, other); err != nil {
		t.Fatal(err)
	}

	obj := &clientareav1alpha1.NumberClaim{}
	if err := c.Get(t.Context(), client.ObjectKey{Name: series + "-000000000007"}, obj); err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue,
		clientareav1alpha1.SequenceLabel:  sequence,
		clientareav1alpha1.SeriesLabel:    series,
		clientareav1alpha1.HolderKeyLabel: "uid-d-reg-1767225600",
	}
	if !maps.Equal(obj.Labels, wantLabels) {
		t.Errorf("labels %v, want %v", obj.Labels, wantLabels)
	}
	wantSpec := clientareav1alpha1.NumberClaimSpec{Series: series, Number: 7, HolderKind: "Domain",
		HolderName: "example.de", HolderUID: "uid-d", Event: "uid-d-reg-1767225600"}
	if spec := obj.Spec; spec.ReservedAt == nil || !spec.ReservedAt.Time.Equal(at) {
		t.Errorf("reservedAt %v, want %v", spec.ReservedAt, at)
	} else if spec.ReservedAt = nil; spec != wantSpec {
		t.Errorf("spec %+v, want %+v", spec, wantSpec)
	}

	claims, err := store.List(t.Context(), sequence)
	if err != nil || len(claims) != 1 || claims[0] != claim || claims[0].ReservedAt.Location() != time.UTC {
		t.Fatalf("List = %+v, %v; want only %+v, in UTC", claims, err, claim)
	}
	got, err := store.Get(t.Context(), sequence, series, 7)
	if err != nil || got != claim {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, claim)
	}
	if _, err := store.Get(t.Context(), sequence, series, 8); err == nil {
		t.Fatal("Get of a number without a claim did not fail")
	}
	claim.Holder = Holder{Kind: "Domain", Name: "other.de", UID: "uid-o"}
	if err := store.Create(t.Context(), sequence, claim); !errors.Is(err, ErrExists) {
		t.Fatalf("Create of a claimed number = %v, want ErrExists", err)
	}
}

func TestClaimStoreReportsUnknownOutcome(t *testing.T) {
	t.Parallel()
	c := interceptor.NewClient(noWatch{startEnv(t).Client}, interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			return errTimeout
		},
	})
	sequence := uniqueName("customer")
	err := NewClaimStore(c, c).Create(t.Context(), sequence, Claim{Series: sequence, Number: 1, Holder: holder(1)})
	if !errors.Is(err, errTimeout) || errors.Is(err, ErrExists) {
		t.Fatalf("Create = %v, want the client's error and not ErrExists", err)
	}
}

// TestSequenceOverClaimStore runs a sequence over NumberClaims, and a
// second one, as after a restart, over the same.
func TestSequenceOverClaimStore(t *testing.T) {
	t.Parallel()
	c := startEnv(t).Client
	name := uniqueName("invoice")
	s := newSequenceNamed(NewClaimStore(c, c), name)
	for i := 1; i <= 3; i++ {
		expectNumber(t, s, holder(i), int64(i))
	}
	again := newSequenceNamed(NewClaimStore(c, c), name)
	expectNumber(t, again, holder(2), 2)
	expectNumber(t, again, holder(4), 4)
	series := fmt.Sprintf("%s-%d", name, start.Year())
	claims := &clientareav1alpha1.NumberClaimList{}
	if err := c.List(t.Context(), claims, client.MatchingLabels{clientareav1alpha1.SeriesLabel: series}); err != nil || len(claims.Items) != 4 {
		t.Fatalf("%d claims in series %s, %v; want 4", len(claims.Items), series, err)
	}
}
