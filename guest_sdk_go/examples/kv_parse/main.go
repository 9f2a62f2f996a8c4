// Command kv_parse parses `key=value` pairs separated by whitespace from a
// string field and stores each value as a string under a target object, e.g.
// `user=alice status=200 msg="disk full"` gives
// `{"kv": {"user": "alice", "status": "200", "msg": "disk full"}}`.
//
// It is the Go twin of guest_sdk_rust/examples/kv_parse.rs and gives the
// same output byte for byte (tests/test_go_sdk.py checks it).
//
// A value may be double-quoted to contain whitespace (`\"` and `\\` inside
// the quotes stand for `"` and `\`). Tokens without `=`, empty keys and keys
// containing `.` are skipped; a repeated key keeps its last value (at its
// first position). The target field is set (replaced) with one object
// holding all pairs, in one host call; nothing is written when there are no
// pairs. With an empty `target_field` each pair is put at the top level.
//
// Params (checked at load; unknown ones are refused):
//   - field (string, default "message"): the field to parse.
//   - target_field (string, default "kv"): where to put the pairs.
//   - ignore_missing (boolean, default false): keep documents without
//     field instead of failing with `field [x] not present`.
package main

import (
	"strings"

	"ingesthost/ingesthost"
)

type pair struct{ key, value string }

// isSpace is Rust's u8::is_ascii_whitespace: space, \t, \n, \f, \r.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// parsePairs splits text into (key, value) pairs; a later duplicate replaces
// the value but keeps the first position.
func parsePairs(text string) []pair {
	n := len(text)
	var pairs []pair
	index := map[string]int{}
	i := 0
	for i < n {
		for i < n && isSpace(text[i]) {
			i++
		}
		keyStart := i
		for i < n && text[i] != '=' && !isSpace(text[i]) {
			i++
		}
		if i >= n || text[i] != '=' {
			continue // a token without '='
		}
		key := text[keyStart:i]
		i++
		var value string
		if i < n && text[i] == '"' {
			i++
			seg := i
			var owned []byte
			escaped := false
			for i < n && text[i] != '"' {
				if text[i] == '\\' && i+1 < n && (text[i+1] == '"' || text[i+1] == '\\') {
					owned = append(owned, text[seg:i]...)
					owned = append(owned, text[i+1])
					escaped = true
					i += 2
					seg = i
				} else {
					i++
				}
			}
			if escaped {
				value = string(append(owned, text[seg:i]...))
			} else {
				value = text[seg:i]
			}
			if i < n {
				i++ // past the closing quote
			}
		} else {
			start := i
			for i < n && !isSpace(text[i]) {
				i++
			}
			value = text[start:i]
		}
		if key == "" || strings.IndexByte(key, '.') >= 0 {
			continue
		}
		if at, ok := index[key]; ok {
			pairs[at].value = value
		} else {
			index[key] = len(pairs)
			pairs = append(pairs, pair{key, value})
		}
	}
	return pairs
}

var config struct {
	field, target string
	ignoreMissing bool
}

func configure() (err error) {
	if err = ingesthost.AcceptParams("field", "target_field", "ignore_missing"); err != nil {
		return err
	}
	if config.field, err = ingesthost.ParamString("field", "message"); err != nil {
		return err
	}
	if config.target, err = ingesthost.ParamString("target_field", "kv"); err != nil {
		return err
	}
	config.ignoreMissing, err = ingesthost.ParamBool("ignore_missing", false)
	return err
}

func process() (ingesthost.Outcome, error) {
	field, target := config.field, config.target
	v, err := ingesthost.GetValue(field)
	if err != nil {
		return 0, err
	}
	if v == nil {
		if config.ignoreMissing {
			return ingesthost.Keep, nil
		}
		return 0, ingesthost.NewError("field [" + field + "] not present")
	}
	text, ok := v.AsString()
	if !ok {
		return 0, ingesthost.NewError("field [" + field + "] is not a string")
	}
	pairs := parsePairs(text)
	if target == "" {
		for _, p := range pairs {
			if err := ingesthost.PutString(p.key, p.value); err != nil {
				return 0, err
			}
		}
	} else if len(pairs) > 0 {
		object := make([]byte, 0, len(text)+8*len(pairs))
		for i, p := range pairs {
			if i == 0 {
				object = append(object, '{')
			} else {
				object = append(object, ',')
			}
			object = ingesthost.AppendQuoted(object, p.key)
			object = append(object, ':')
			object = ingesthost.AppendQuoted(object, p.value)
		}
		object = append(object, '}')
		if err := ingesthost.PutFieldBytes(target, object); err != nil {
			return 0, err
		}
	}
	return ingesthost.Keep, nil
}

func init() { ingesthost.Register(configure, process) }

// main is required by the Go toolchain; a reactor's main is never called.
func main() {}
