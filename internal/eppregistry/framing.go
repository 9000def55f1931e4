package eppregistry

import (
	"encoding/binary"
	"errors"
	"io"
)

// maxFrameSize caps a request frame (header included). EPP commands are a
// few KiB; anything near a mebibyte is garbage or an attack, and reading it
// would only cost memory, so the connection is closed instead.
const maxFrameSize = 1 << 20

var errFrameSize = errors.New("frame length out of range")

// readFrame reads one RFC 5734 data unit: a 32-bit big-endian total length
// that counts its own 4 bytes, then the XML.
func readFrame(rd io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n <= 4 || n > maxFrameSize {
		return nil, errFrameSize
	}
	buf := make([]byte, n-4)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// writeFrame writes one data unit in a single Write, so that a frame is
// never interleaved or half-sent by the framing code itself.
func writeFrame(w io.Writer, xmlData []byte) error {
	buf := make([]byte, 4+len(xmlData))
	binary.BigEndian.PutUint32(buf, uint32(len(buf)))
	copy(buf[4:], xmlData)
	_, err := w.Write(buf)
	return err
}
