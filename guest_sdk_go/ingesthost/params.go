package ingesthost

import "unicode/utf8"

var (
	paramsText  = "{}"
	paramsValue = &Value{Kind: Object}
)

// setParams checks the params the host passed to configure (UTF-8 JSON
// object text) and stores them; the error message says why not.
func setParams(raw []byte) string {
	if !utf8.Valid(raw) {
		return "configure: params are not valid UTF-8"
	}
	text := string(raw)
	v, err := ParseJSON(text)
	if err != nil {
		return "configure: params are not valid JSON: " + err.Error()
	}
	if v.Kind != Object {
		return "configure: params must be a JSON object, not " + v.Kind.TypeName()
	}
	paramsText, paramsValue = text, v
	return ""
}

// Params is the processor's params as JSON object text, as the host passed
// them to configure ("{}" before configure).
func Params() string { return paramsText }

// ParamsValue is the processor's params, parsed (always an object).
func ParamsValue() *Value { return paramsValue }

// Param is one param by name; nil if absent.
func Param(name string) *Value { return paramsValue.Get(name) }

// ParamString is a string param: def if absent or null; an error if of another type.
func ParamString(name, def string) (string, error) {
	v := Param(name)
	switch {
	case v == nil || v.Kind == Null:
		return def, nil
	case v.Kind == String:
		return v.Str, nil
	}
	return "", NewError("param [" + name + "] must be a string, not " + v.Kind.TypeName())
}

// ParamBool is a boolean param: def if absent or null; an error if of another type.
func ParamBool(name string, def bool) (bool, error) {
	v := Param(name)
	switch {
	case v == nil || v.Kind == Null:
		return def, nil
	case v.Kind == Bool:
		return v.Bool, nil
	}
	return false, NewError("param [" + name + "] must be a boolean, not " + v.Kind.TypeName())
}

// AcceptParams refuses params the processor does not know: an error naming
// the first param whose name is not in names, e.g.
// `unknown param [feild]; this processor accepts [field], [target_field]`.
// Call it from the configure function so that a typo fails the pipeline at load.
func AcceptParams(names ...string) error {
	for _, m := range paramsValue.Members {
		known := false
		for _, name := range names {
			if m.Key == name {
				known = true
				break
			}
		}
		if known {
			continue
		}
		msg := "unknown param [" + m.Key + "]; this processor "
		if len(names) == 0 {
			msg += "takes no params"
		} else {
			msg += "accepts "
			for i, name := range names {
				if i > 0 {
					msg += ", "
				}
				msg += "[" + name + "]"
			}
		}
		return &Error{Status: InvalidArgument, Message: msg}
	}
	return nil
}
