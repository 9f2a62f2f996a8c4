package ingesthost

import "unsafe"

// The guest's malloc. The host calls it for get_field results and for the
// configure params, then writes into the memory, possibly after the Go code
// that asked for it has moved on. Go's garbage collector does not move heap
// objects, but it frees those that nothing references: every buffer handed
// to the host is kept in `pinned`, keyed by its address, until the SDK takes
// it back (take), so the collector can neither free nor reuse it while the
// host writes into it.
var pinned = map[uint32][]byte{}

// allocate returns the address of size bytes (one byte for size 0) that stay
// pinned until take; 0 for a negative size (2 GiB or more).
func allocate(size int32) uint32 {
	if size < 0 {
		return 0
	}
	n := int(size)
	if n == 0 {
		n = 1
	}
	buf := make([]byte, n)
	ptr := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	pinned[ptr] = buf
	return ptr
}

// take unpins the buffer at ptr that the host filled with length bytes and
// returns them; nil when ptr is not a pinned buffer (or too short).
func take(ptr, length uint32) []byte {
	buf, ok := pinned[ptr]
	if !ok {
		return nil
	}
	delete(pinned, ptr)
	if uint64(length) > uint64(len(buf)) {
		return nil
	}
	return buf[:length:length]
}

// Pinned is the number of buffers handed to the host and not yet taken back
// (0 between documents unless the host misbehaves): for tests.
func Pinned() int { return len(pinned) }
