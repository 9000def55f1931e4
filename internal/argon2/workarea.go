package argon2

// WorkArea is the memory of one Argon2 computation, kept for the next. It
// grows to the largest memory parameter it has been used with. A WorkArea
// serves one computation at a time: it is not safe for concurrent use. The
// nil *WorkArea computes in memory of its own, returned at once.
//
// Where the system allows it (Unix), the memory is mapped outside the Go
// heap: a work area holds nothing the collector needs to see, and kept in
// the heap its 19 MiB would count twice, once live and once again in the
// room the collector leaves the heap to grow before it collects (GOGC). It
// is unmapped by Free, or when the WorkArea is collected.
type WorkArea struct {
	memory []block
	free   func()
}

// blocks returns the first n blocks of the work area, growing it if needed.
func (w *WorkArea) blocks(n uint32) []block {
	if uint32(cap(w.memory)) < n {
		w.Free()
		w.memory, w.free = allocate(w, int(n))
	}
	return w.memory[:n]
}

// Free returns the work area's memory now. The WorkArea stays usable: the
// next computation allocates again.
func (w *WorkArea) Free() {
	if w.free != nil {
		w.free()
	}
	w.memory, w.free = nil, nil
}

// IDKey is the package's IDKey computed in w's memory: the same key for
// the same arguments.
func (w *WorkArea) IDKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return deriveKeyIn(w, argon2id, password, salt, nil, nil, time, memory, threads, keyLen)
}
