package ingesthost

// The glue behind the exports (exports_wasip1.go): the processor's functions,
// registered from an init function, run by configure and process.

var (
	configureFn func() error
	processFn   func() (Outcome, error)
	configured  bool
)

// Register sets the processor's functions. configure (may be nil) runs once
// per instance, after the params are stored: return an error to refuse the
// pipeline at load with its message. process runs once per document.
// Call it from an init function: the host's call to _initialize runs it.
func Register(configure func() error, process func() (Outcome, error)) {
	configureFn, processFn = configure, process
}

// guard turns a panic into a Critical log line and InternalFailure, so that
// the instance stays usable (the Rust SDK traps instead; both fail the
// document with the message).
func guard(status *int32) {
	if r := recover(); r != nil {
		msg := "panic"
		switch x := r.(type) {
		case error:
			msg += ": " + x.Error()
		case string:
			msg += ": " + x
		}
		Critical(msg)
		*status = int32(InternalFailure)
	}
}

func runConfigure() error {
	configured = true
	if configureFn == nil {
		return nil
	}
	return configureFn()
}

func configureCall(ptr, length uint32) (status int32) {
	defer guard(&status)
	raw := take(ptr, length)
	if raw == nil && length != 0 {
		raw = []byte{} // not from our malloc: refuse below as empty
	}
	if msg := setParams(raw); msg != "" {
		LogError(msg)
		return int32(InvalidArgument)
	}
	if err := runConfigure(); err != nil {
		LogError(err.Error())
		return code(err)
	}
	return int32(Ok)
}

func processCall() (status int32) {
	defer guard(&status)
	if processFn == nil {
		LogError("no processor registered: call ingesthost.Register from an init function")
		return int32(InternalFailure)
	}
	if !configured {
		// A host that does not call configure: configure on the params {}.
		if err := runConfigure(); err != nil {
			LogError(err.Error())
			return code(err)
		}
	}
	outcome, err := processFn()
	if err != nil {
		LogError(err.Error())
		return code(err)
	}
	return int32(outcome)
}
