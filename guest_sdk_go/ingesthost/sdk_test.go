package ingesthost

import (
	"encoding/json"
	"testing"
)

func TestQuoteMatchesEncodingJSONOnPlainText(t *testing.T) {
	for _, s := range []string{"", "abc", `a"b\c`, "tab\tnl\ncr\r\b\f", "\x00\x1f\x7f", "é 名前 😀"} {
		got := Quote(s)
		back := ""
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != s {
			t.Fatalf("Quote(%q) = %s does not round-trip: %v", s, got, err)
		}
	}
	if got := Quote("\x01\"\\\n\b"); got != `"\u0001\"\\\n\b"` {
		t.Fatalf("Quote: %s", got)
	}
}

func TestParseJSON(t *testing.T) {
	v, err := ParseJSON(` {"a":[1,-2.5e3,true,false,null],"s":"x\u00e9\ud83d\ude00\/","a":{}} `)
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != Object || len(v.Members) != 3 || v.Get("a").Kind != Object {
		t.Fatalf("members: %+v", v)
	}
	if s, _ := v.Get("s").AsString(); s != "xé😀/" {
		t.Fatalf("string: %q", s)
	}
	if got := string(v.AppendJSON(nil)); got != `{"a":[1,-2.5e3,true,false,null],"s":"xé😀/","a":{}}` {
		t.Fatalf("AppendJSON: %s", got)
	}
	for _, bad := range []string{"", "{", `{"a"}`, "[1,]", "01", "1.", "-", `"\ud800"`, `"\x"`, "\"\x01\"", "nul", "[] x", `"\xff"`} {
		if _, err := ParseJSON(bad); err == nil {
			t.Fatalf("ParseJSON(%q) accepted", bad)
		}
	}
	deep := ""
	for i := 0; i < 300; i++ {
		deep += "["
	}
	if _, err := ParseJSON(deep); err == nil {
		t.Fatal("deep nesting accepted")
	}
}

func TestParams(t *testing.T) {
	if Params() != "{}" {
		t.Fatal(Params())
	}
	if msg := setParams([]byte(`[1]`)); msg != "configure: params must be a JSON object, not array" {
		t.Fatal(msg)
	}
	if msg := setParams([]byte(`{"field":"a.b","n":3,"flag":true,"nil":null}`)); msg != "" {
		t.Fatal(msg)
	}
	if s, err := ParamString("field", "x"); s != "a.b" || err != nil {
		t.Fatal(s, err)
	}
	if s, err := ParamString("nil", "x"); s != "x" || err != nil {
		t.Fatal(s, err)
	}
	if _, err := ParamString("n", "x"); err == nil || err.Error() != "param [n] must be a string, not number" {
		t.Fatal(err)
	}
	if b, err := ParamBool("flag", false); !b || err != nil {
		t.Fatal(b, err)
	}
	if _, err := ParamBool("field", false); err == nil || err.Error() != "param [field] must be a boolean, not string" {
		t.Fatal(err)
	}
	if err := AcceptParams("n", "flag", "field", "nil"); err != nil {
		t.Fatal(err)
	}
	err := AcceptParams("field", "flag")
	if err == nil || err.Error() != "unknown param [n]; this processor accepts [field], [flag]" || code(err) != int32(InvalidArgument) {
		t.Fatal(err)
	}
	if err := AcceptParams(); err.Error() != "unknown param [field]; this processor takes no params" {
		t.Fatal(err)
	}
}

func TestAllocatorPinsUntilTaken(t *testing.T) {
	p := allocate(10)
	if p == 0 || Pinned() != 1 || allocate(-1) != 0 {
		t.Fatal("allocate")
	}
	if b := take(p, 10); len(b) != 10 || Pinned() != 0 {
		t.Fatal("take")
	}
	if take(p, 10) != nil {
		t.Fatal("taken twice")
	}
}

func TestNativeStandInsFailCleanly(t *testing.T) {
	if _, _, err := GetField("a"); err == nil || err.Error() != "get_field [a] failed: InternalFailure" {
		t.Fatal(err)
	}
	if code(NewError("x")) != 1 || code(&Error{Status: 4}) != 1 || code(&Error{Status: NotFound}) != 3 {
		t.Fatal("codes")
	}
}

func TestProcessGlue(t *testing.T) {
	defer Register(nil, nil)
	Register(func() error { return &Error{Status: InvalidArgument, Message: "bad"} }, func() (Outcome, error) { return Drop, nil })
	if got := processCall(); got != int32(InvalidArgument) {
		t.Fatalf("configure error: %d", got)
	}
	configured = false
	Register(nil, func() (Outcome, error) { return Drop, nil })
	if got := processCall(); got != int32(Drop) {
		t.Fatalf("drop: %d", got)
	}
	Register(nil, func() (Outcome, error) { return Keep, &Error{Status: Status(Drop)} })
	if got := processCall(); got != int32(InternalFailure) {
		t.Fatalf("an error never drops: %d", got)
	}
	Register(nil, func() (Outcome, error) { var m map[string]int; m["x"] = 1; return Keep, nil })
	if got := processCall(); got != int32(InternalFailure) {
		t.Fatalf("panic: %d", got)
	}
}
