package epp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// DefaultMaxFrameSize bounds the frames a client accepts: EPP responses are
// a few kilobytes, and a registry (or an impostor) that announces more must
// not make the client allocate it.
const DefaultMaxFrameSize = 1 << 20

// headerSize is the RFC 5734 data unit header: a 32-bit big-endian total
// length that counts the header itself.
const headerSize = 4

// ErrFrameSize is returned (wrapped) for a frame whose announced length is
// shorter than its header or longer than the limit.
var ErrFrameSize = errors.New("epp: frame length out of bounds")

// WriteFrame writes payload as one RFC 5734 data unit, in a single write so
// that a frame is never interleaved with another.
func WriteFrame(w io.Writer, payload []byte) error {
	if uint64(len(payload)) > math.MaxUint32-headerSize {
		return fmt.Errorf("%w: %d bytes", ErrFrameSize, len(payload))
	}
	buf := make([]byte, headerSize+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(headerSize+len(payload)))
	copy(buf[headerSize:], payload)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one RFC 5734 data unit and returns its payload. A frame
// longer than maxSize bytes (header included) is refused before its
// payload is read: the stream is then out of step and must be closed.
func ReadFrame(r io.Reader, maxSize int) ([]byte, error) {
	var header [headerSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(header[:])
	if total < headerSize || uint64(total) > uint64(maxSize) {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrFrameSize, total, maxSize)
	}
	payload := make([]byte, total-headerSize)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return payload, nil
}
