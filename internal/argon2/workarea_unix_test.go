//go:build unix

package argon2

import (
	"bytes"
	"runtime"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// TestWorkAreaOutsideGoHeap: a domain password's 19 MiB work area is not in
// the Go heap, so the collector neither scans it nor leaves room for it to
// double; freed, it is unmapped, and the next key maps a new one and is
// still right.
func TestWorkAreaOutsideGoHeap(t *testing.T) {
	password, salt := []byte("correct horse"), make([]byte, 16)
	before := heapInUse()
	work := &WorkArea{}
	work.IDKey(password, salt, 2, 19*1024, 1, 32)
	if grown := int64(heapInUse()) - int64(before); grown > 4<<20 {
		t.Fatalf("the Go heap grew by %d bytes for a 19 MiB work area; want it mapped outside", grown)
	}
	if cap(work.memory) != 19*1024 || work.free == nil {
		t.Fatalf("work area of %d blocks, unmappable %t; want 19,456 mapped blocks", cap(work.memory), work.free != nil)
	}
	work.Free()
	if work.memory != nil {
		t.Fatal("a freed work area still refers to its memory")
	}
	if got, want := work.IDKey(password, salt, 2, 19*1024, 1, 32), upstream.IDKey(password, salt, 2, 19*1024, 1, 32); !bytes.Equal(got, want) {
		t.Fatalf("after Free, key %x; x/crypto %x", got, want)
	}
	work.Free()
}

func heapInUse() uint64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapInuse
}
