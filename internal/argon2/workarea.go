package argon2

// WorkArea is the memory of one Argon2 computation, kept for the next. It
// grows to the largest memory parameter it has been used with. A WorkArea
// serves one computation at a time: it is not safe for concurrent use.
type WorkArea struct {
	memory []block
}

// blocks returns the first n blocks of the work area, growing it if needed.
func (w *WorkArea) blocks(n uint32) []block {
	if uint32(cap(w.memory)) < n {
		w.memory = make([]block, n)
	}
	return w.memory[:n]
}

// IDKey is the package's IDKey computed in w's memory: the same key for
// the same arguments.
func (w *WorkArea) IDKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return deriveKeyIn(w, argon2id, password, salt, nil, nil, time, memory, threads, keyLen)
}
