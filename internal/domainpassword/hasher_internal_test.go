package domainpassword

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clientarea.dev/clientarea-operator/internal/argon2"
)

// TestHasherKeepsOneAreaPerSlot runs many hashes through a Hasher of two
// slots: never more than two at once, in no more than two work areas
// altogether (a sync.Pool made one per CPU and kept another through a
// garbage collection); once released, the next hash gets a new area.
func TestHasherKeepsOneAreaPerSlot(t *testing.T) {
	hasher := NewHasher(2)
	var (
		mu      sync.Mutex
		areas   = map[*argon2.WorkArea]bool{}
		running atomic.Int32
		most    atomic.Int32
		wg      sync.WaitGroup
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := hasher.run(context.Background(), func(work *argon2.WorkArea) {
				mu.Lock()
				areas[work] = true
				most.Store(max(most.Load(), running.Add(1)))
				mu.Unlock()
				defer running.Add(-1)
				if _, err := hash(work, "correct horse"); err != nil {
					t.Error(err)
				}
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() > 2 || len(areas) > 2 {
		t.Fatalf("16 hashes through 2 slots: %d at once, %d work areas; want at most 2 of each", most.Load(), len(areas))
	}

	hasher.release()
	if err := hasher.run(context.Background(), func(work *argon2.WorkArea) {
		if areas[work] {
			t.Error("after release, a hash was given a kept work area")
		}
	}); err != nil {
		t.Fatal(err)
	}
}

// TestHasherRunStopsWithContext: a hash waiting for a slot gives up when its
// context ends.
func TestHasherRunStopsWithContext(t *testing.T) {
	hasher := NewHasher(1)
	held := make(chan struct{})
	done := make(chan struct{})
	go func() {
		_ = hasher.run(context.Background(), func(*argon2.WorkArea) { close(held); <-done })
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := hasher.run(ctx, func(*argon2.WorkArea) { t.Error("ran without a slot") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait for a slot whose context ended returned %v", err)
	}
	close(done)
}
