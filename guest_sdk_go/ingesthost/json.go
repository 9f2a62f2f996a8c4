package ingesthost

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind of a JSON value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// TypeName is the JSON type name: "null", "boolean", "number", "string",
// "array" or "object".
func (k Kind) TypeName() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Member is one member of a JSON object, in document order.
type Member struct {
	Key   string
	Value *Value
}

// Value is a parsed JSON value. Numbers keep their text (exact for any
// integer); object members keep their order and duplicates.
type Value struct {
	Kind    Kind
	Bool    bool
	Str     string // the decoded string, or the number's text
	Items   []*Value
	Members []Member
}

// Get is the object member named key (the last one of that name, as the
// Rust SDK does), or nil if absent or if v is not an object.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := len(v.Members) - 1; i >= 0; i-- {
		if v.Members[i].Key == key {
			return v.Members[i].Value
		}
	}
	return nil
}

// AsString is the string and true for a JSON string.
func (v *Value) AsString() (string, bool) {
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Str, true
}

// AppendJSON appends v as compact JSON text.
func (v *Value) AppendJSON(dst []byte) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return append(dst, v.Str...)
	case String:
		return AppendQuoted(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, item := range v.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = item.AppendJSON(dst)
		}
		return append(dst, ']')
	}
	dst = append(dst, '{')
	for i, m := range v.Members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendQuoted(dst, m.Key)
		dst = append(dst, ':')
		dst = m.Value.AppendJSON(dst)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a quoted JSON string literal: `"` and `\` are
// backslash-escaped, control characters become \n, \t, ... or \u00XX.
func AppendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case 0x08:
			dst = append(dst, '\\', 'b')
		case 0x0c:
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Quote returns s as a quoted JSON string literal.
func Quote(s string) string { return string(AppendQuoted(nil, s)) }

// maxDepth of nested arrays and objects ParseJSON accepts.
const maxDepth = 256

// ParseError says where JSON text is malformed.
type ParseError struct {
	Offset  int
	Message string
}

func (e *ParseError) Error() string {
	return e.Message + " at byte " + strconv.Itoa(e.Offset)
}

type parser struct {
	s     string
	pos   int
	depth int
}

// ParseJSON parses one JSON value (RFC 8259), surrounded by optional whitespace.
func ParseJSON(text string) (*Value, error) {
	p := parser{s: text}
	p.ws()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, p.fail("trailing characters")
	}
	return v, nil
}

func (p *parser) fail(msg string) error { return &ParseError{Offset: p.pos, Message: msg} }

func (p *parser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) literal(word string) bool {
	if len(p.s)-p.pos >= len(word) && p.s[p.pos:p.pos+len(word)] == word {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) value() (*Value, error) {
	if p.pos >= len(p.s) {
		return nil, p.fail("unexpected end of input")
	}
	switch c := p.s[p.pos]; {
	case c == '{' || c == '[':
		p.depth++
		if p.depth > maxDepth {
			return nil, p.fail("nested too deeply")
		}
		defer func() { p.depth-- }()
		if c == '{' {
			return p.object()
		}
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.literal("true"):
		return &Value{Kind: Bool, Bool: true}, nil
	case p.literal("false"):
		return &Value{Kind: Bool}, nil
	case p.literal("null"):
		return &Value{Kind: Null}, nil
	}
	return nil, p.fail("expected a value")
}

func (p *parser) object() (*Value, error) {
	p.pos++ // {
	v := &Value{Kind: Object}
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return nil, p.fail("expected a string key")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.fail("expected ':'")
		}
		p.pos++
		p.ws()
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		v.Members = append(v.Members, Member{key, item})
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		return nil, p.fail("expected ',' or '}'")
	}
}

func (p *parser) array() (*Value, error) {
	p.pos++ // [
	v := &Value{Kind: Array}
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.ws()
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, item)
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		return nil, p.fail("expected ',' or ']'")
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) digits() bool {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

func (p *parser) number() (*Value, error) {
	start := p.pos
	if p.s[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.s) && p.s[p.pos] == '0' {
		p.pos++
	} else if !p.digits() {
		return nil, p.fail("invalid number")
	}
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		if !p.digits() {
			return nil, p.fail("invalid number")
		}
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return nil, p.fail("invalid number")
		}
	}
	return &Value{Kind: Number, Str: p.s[start:p.pos]}, nil
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// str decodes the string literal at p.pos (on its opening quote).
func (p *parser) str() (string, error) {
	p.pos++ // "
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			s := p.s[start:p.pos]
			p.pos++
			if !utf8.ValidString(s) {
				return "", p.fail("invalid UTF-8 in a string")
			}
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail("control character in a string")
		}
		p.pos++
	}
	out := []byte(p.s[start:p.pos])
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(out) {
				return "", p.fail("invalid UTF-8 in a string")
			}
			return string(out), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.s) {
			break
		}
		esc := p.s[p.pos+1]
		p.pos += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(p.s[p.pos:])
			if !ok {
				return "", p.fail("invalid \\u escape")
			}
			p.pos += 4
			if utf16.IsSurrogate(r) {
				lo, ok := rune(0), false
				if r < 0xdc00 && len(p.s)-p.pos >= 6 && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
					lo, ok = hex4(p.s[p.pos+2:])
				}
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return "", p.fail("lone surrogate in a \\u escape")
				}
				p.pos += 6
				r = utf16.DecodeRune(r, lo)
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.fail("invalid escape")
		}
	}
	return "", p.fail("unterminated string")
}
