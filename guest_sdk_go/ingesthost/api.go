package ingesthost

import "unsafe"

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func callError(call, key string, status Status) error {
	return &Error{Status: status, Message: call + " [" + key + "] failed: " + status.String()}
}

// GetFieldRaw is elastic_get_field: the field's value as compact JSON text,
// or the host's status (NotFound when the field is absent).
func GetFieldRaw(key string) ([]byte, Status) {
	var ptr, length uint32
	status := Status(elasticGetField(strPtr(key), uint32(len(key)), &ptr, &length))
	if status != Ok {
		return nil, status
	}
	text := take(ptr, length)
	if text == nil && length != 0 {
		return nil, InternalFailure
	}
	return text, Ok
}

// GetField reads the field at the dotted path key (`a.b`, `tags.0`) as
// compact JSON text; found is false when it does not exist.
func GetField(key string) (text string, found bool, err error) {
	raw, status := GetFieldRaw(key)
	switch status {
	case Ok:
		return unsafe.String(unsafe.SliceData(raw), len(raw)), true, nil
	case NotFound:
		return "", false, nil
	}
	return "", false, callError("get_field", key, status)
}

// GetValue reads and parses a field; nil (and no error) when it does not exist.
func GetValue(key string) (*Value, error) {
	text, found, err := GetField(key)
	if err != nil || !found {
		return nil, err
	}
	v, err := ParseJSON(text)
	if err != nil {
		return nil, &Error{Status: InternalFailure, Message: "get_field [" + key + "]: " + err.Error()}
	}
	return v, nil
}

// PutFieldRaw is elastic_put_field with any bytes as key and value.
func PutFieldRaw(key string, jsonText []byte) Status {
	return Status(elasticPutField(strPtr(key), uint32(len(key)), unsafe.Pointer(unsafe.SliceData(jsonText)), uint32(len(jsonText))))
}

// PutField sets the field at key to a value given as JSON text (any type,
// null included); missing intermediate objects are created by the host.
func PutField(key, jsonText string) error {
	status := Status(elasticPutField(strPtr(key), uint32(len(key)), strPtr(jsonText), uint32(len(jsonText))))
	if status != Ok {
		return callError("put_field", key, status)
	}
	return nil
}

// PutFieldBytes is PutField with the JSON text in a byte slice (no copy).
func PutFieldBytes(key string, jsonText []byte) error {
	if status := PutFieldRaw(key, jsonText); status != Ok {
		return callError("put_field", key, status)
	}
	return nil
}

// PutString sets the field at key to the JSON string value (escaped for you).
func PutString(key, value string) error {
	return PutFieldBytes(key, AppendQuoted(make([]byte, 0, len(value)+2), value))
}

// RemoveField removes the field at key; false when it did not exist.
func RemoveField(key string) (bool, error) {
	switch status := Status(elasticRemoveField(strPtr(key), uint32(len(key)))); status {
	case Ok:
		return true, nil
	case NotFound:
		return false, nil
	default:
		return false, callError("remove_field", key, status)
	}
}

// Now is the host's wall-clock time in nanoseconds since the Unix epoch.
// (Go's own time.Now goes through WASI's clock, which the host may not grant.)
func Now() (uint64, error) {
	var nanos uint64
	if status := Status(elasticGetCurrentTimeNanoseconds(&nanos)); status != Ok {
		return 0, &Error{Status: status, Message: "get_current_time_nanoseconds failed: " + status.String()}
	}
	return nanos, nil
}

// Log writes msg to the host's log (Python logging, under the processor's
// logger). An Error or Critical line logged during process becomes the
// document's failure message if process fails.
func Log(level LogLevel, msg string) Status {
	return Status(elasticLog(uint32(level), strPtr(msg), uint32(len(msg))))
}

func Debug(msg string)    { Log(LevelDebug, msg) }
func Info(msg string)     { Log(LevelInfo, msg) }
func Warn(msg string)     { Log(LevelWarn, msg) }
func LogError(msg string) { Log(LevelError, msg) }
func Critical(msg string) { Log(LevelCritical, msg) }

// HostABIVersion is the host's ABI version as (major, minor).
func HostABIVersion() (major, minor uint16) {
	v := elasticABIVersion()
	return uint16(v >> 16), uint16(v)
}
