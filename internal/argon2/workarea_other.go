//go:build !unix

package argon2

// allocate takes n blocks from the Go heap, where the system has no
// anonymous mappings for the work area.
func allocate(_ *WorkArea, n int) ([]block, func()) {
	return make([]block, n), nil
}
