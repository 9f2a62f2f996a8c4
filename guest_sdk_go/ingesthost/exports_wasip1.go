//go:build wasip1

package ingesthost

// The guest exports of ABI 1.0 (abi_spec/ABI.md, "Guest exports"). The Go
// toolchain adds `memory` and `_initialize` (a reactor, built with
// -buildmode=c-shared): the host calls `_initialize` first, which runs the
// Go runtime's set-up and every package's init functions, so a processor
// registers itself with Register from an init function.

// malloc(size) -> ptr: see alloc.go.
//
//go:wasmexport malloc
func exportMalloc(size int32) uint32 {
	return allocate(size)
}

// configure(ptr, len) -> status: the params, in memory from malloc(len).
//
//go:wasmexport configure
func exportConfigure(ptr, length uint32) int32 {
	return configureCall(ptr, length)
}

// process() -> 0 keep, 4 drop, anything else: the document fails.
//
//go:wasmexport process
func exportProcess() int32 {
	return processCall()
}

// The ABI version marker: never called.
//
//go:wasmexport elastic_ingest_wasm_abi_1_0
func exportABIMarker() {}
