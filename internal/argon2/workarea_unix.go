//go:build unix

package argon2

import (
	"runtime"
	"syscall"
	"unsafe"
)

// allocate maps n blocks of anonymous memory outside the Go heap, unmapped
// by the function it returns or, should that never be called, once owner is
// collected. Where the system refuses the mapping, the blocks come from the
// Go heap.
func allocate(owner *WorkArea, n int) ([]block, func()) {
	mapping, err := syscall.Mmap(-1, 0, n*blockLength*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]block, n), nil
	}
	// Page-aligned and a whole number of blocks long, so as blocks the
	// mapping is as any []block; it holds no pointers for the collector.
	blocks := unsafe.Slice((*block)(unsafe.Pointer(unsafe.SliceData(mapping))), n)
	cleanup := runtime.AddCleanup(owner, func(mapping []byte) { _ = syscall.Munmap(mapping) }, mapping)
	return blocks, func() {
		cleanup.Stop()
		_ = syscall.Munmap(mapping)
	}
}
