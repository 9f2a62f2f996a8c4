//go:build !wasip1

package ingesthost

import "unsafe"

// Native stand-ins, so that the package builds and its pure Go parts (JSON,
// params) can be unit-tested with `go test` on the build machine. Every call
// fails with InternalFailure, as the Rust SDK's native stand-ins do.

func elasticGetField(unsafe.Pointer, uint32, *uint32, *uint32) uint32       { return 1 }
func elasticPutField(unsafe.Pointer, uint32, unsafe.Pointer, uint32) uint32 { return 1 }
func elasticRemoveField(unsafe.Pointer, uint32) uint32                      { return 1 }
func elasticGetCurrentTimeNanoseconds(*uint64) uint32                       { return 1 }
func elasticLog(uint32, unsafe.Pointer, uint32) uint32                      { return 1 }
func elasticABIVersion() uint32                                             { return 0 }
