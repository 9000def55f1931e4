package epp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	payloads := [][]byte{[]byte("<epp/>"), {}, bytes.Repeat([]byte("x"), 1000)}
	for _, p := range payloads {
		if err := WriteFrame(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := binary.BigEndian.Uint32(buf.Bytes()); got != 4+6 {
		t.Errorf("first header %d: the length counts the 4 header bytes", got)
	}
	for _, want := range payloads {
		got, err := ReadFrame(&buf, 2000)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadFrame: %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadFrame(&buf, 2000); err != io.EOF {
		t.Errorf("ReadFrame at the end: %v", err)
	}
}

func TestReadFrameRejects(t *testing.T) {
	header := func(n uint32, rest string) io.Reader {
		b := binary.BigEndian.AppendUint32(nil, n)
		return bytes.NewReader(append(b, rest...))
	}
	for _, tc := range []struct {
		name string
		in   io.Reader
		want error
	}{
		{"shorter than its header", header(3, ""), ErrFrameSize},
		{"over the limit", header(101, ""), ErrFrameSize},
		{"huge", header(0xFFFFFFFF, ""), ErrFrameSize},
		{"truncated payload", header(10, "abc"), io.ErrUnexpectedEOF},
		{"truncated header", bytes.NewReader([]byte{0, 0}), io.ErrUnexpectedEOF},
	} {
		if _, err := ReadFrame(tc.in, 100); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
