//go:build wasip1

package ingesthost

import "unsafe"

// The host imports of ABI 1.0 (abi_spec/ABI.md, "Host imports"). Every one
// returns a Status: Ok (0), InternalFailure (1), InvalidArgument (2) or
// NotFound (3); the host never traps the guest for a bad argument.

// elastic_get_field(key_ptr, key_len, ret_ptr_ptr, ret_len_ptr) -> status:
// Ok (value placed in memory from our malloc), NotFound, InvalidArgument,
// InternalFailure (malloc failed).
//
//go:wasmimport elastic elastic_get_field
func elasticGetField(keyPtr unsafe.Pointer, keyLen uint32, retPtr *uint32, retLen *uint32) uint32

// elastic_put_field(key_ptr, key_len, value_ptr, value_len) -> status:
// Ok, or InvalidArgument (bad range, not UTF-8, not JSON, path cannot be set).
//
//go:wasmimport elastic elastic_put_field
func elasticPutField(keyPtr unsafe.Pointer, keyLen uint32, valuePtr unsafe.Pointer, valueLen uint32) uint32

// elastic_remove_field(key_ptr, key_len) -> status: Ok, NotFound, InvalidArgument.
//
//go:wasmimport elastic elastic_remove_field
func elasticRemoveField(keyPtr unsafe.Pointer, keyLen uint32) uint32

// elastic_get_current_time_nanoseconds(ret_ptr) -> status: Ok, InvalidArgument.
//
//go:wasmimport elastic elastic_get_current_time_nanoseconds
func elasticGetCurrentTimeNanoseconds(ret *uint64) uint32

// elastic_log(level, msg_ptr, msg_len) -> status: Ok, InvalidArgument (bad
// level or range). Lines cut or dropped by the host's budget still return Ok.
//
//go:wasmimport elastic elastic_log
func elasticLog(level uint32, msgPtr unsafe.Pointer, msgLen uint32) uint32

// elastic_abi_version() -> (major << 16) | minor.
//
//go:wasmimport elastic elastic_abi_version
func elasticABIVersion() uint32
