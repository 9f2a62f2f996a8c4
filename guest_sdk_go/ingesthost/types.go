// Package ingesthost is the Go SDK for ingesthost guests (ABI 1.0,
// abi_spec/ABI.md): processors built with Go 1.24 for GOOS=wasip1 as a
// reactor (go build -buildmode=c-shared), run by ingesthost over JSON
// documents.
//
// A processor registers its functions from an init function:
//
//	func init() { ingesthost.Register(configure, process) }
//	func main() {} // required by the Go toolchain, never called
//
// configure runs once per instance with the params (read them with
// ParamString, ParamBool, AcceptParams...); process runs once per document
// and reads and writes its fields (GetValue, PutField, PutString,
// RemoveField...). The package exports malloc, configure, process and the
// ABI marker; Go adds memory and _initialize.
package ingesthost

import "strconv"

// ABI version implemented by this SDK (the exported marker is
// elastic_ingest_wasm_abi_1_0).
const (
	ABIMajor = 1
	ABIMinor = 0
)

// Status is what every host import returns.
type Status int32

const (
	Ok              Status = 0
	InternalFailure Status = 1
	InvalidArgument Status = 2
	NotFound        Status = 3
)

// String is the status name as the host and the Rust SDK spell it.
func (s Status) String() string {
	switch s {
	case Ok:
		return "Ok"
	case InternalFailure:
		return "InternalFailure"
	case InvalidArgument:
		return "InvalidArgument"
	case NotFound:
		return "NotFound"
	}
	return "Unknown(" + strconv.Itoa(int(s)) + ")"
}

// LogLevel of elastic_log.
type LogLevel int32

const (
	LevelDebug    LogLevel = 0
	LevelInfo     LogLevel = 1
	LevelWarn     LogLevel = 2
	LevelError    LogLevel = 3
	LevelCritical LogLevel = 4
)

// Outcome of processing one document.
type Outcome int32

const (
	// Keep the document and go on to the next processor.
	Keep Outcome = 0
	// Drop the document.
	Drop Outcome = 4
)

// Error carries a status and a message. When process returns an error, the
// SDK logs its message at Error level (the host reports the last Error line
// as the document's failure) and returns its status (never 0 nor 4).
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status.String()
	}
	return e.Message
}

// Errorf-free constructor: a processor error with status InternalFailure.
func NewError(message string) error {
	return &Error{Status: InternalFailure, Message: message}
}

// code is what process or configure returns for err: never 0 (keep) nor 4 (drop).
func code(err error) int32 {
	status := InternalFailure
	if e, ok := err.(*Error); ok {
		status = e.Status
	}
	if status == Status(Keep) || status == Status(Drop) {
		return int32(InternalFailure)
	}
	return int32(status)
}
