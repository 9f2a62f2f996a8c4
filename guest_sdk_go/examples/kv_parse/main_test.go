package main

import (
	"reflect"
	"testing"
)

func TestParsePairs(t *testing.T) {
	cases := map[string][]pair{
		`user=alice status=200 msg="disk full"`: {{"user", "alice"}, {"status", "200"}, {"msg", "disk full"}},
		`dup=1 x=2 dup=3`:                       {{"dup", "3"}, {"x", "2"}},
		`a.b=1 =2 noeq c= d="open`:              {{"c", ""}, {"d", "open"}},
		`e="q \" b \\ z" f=\"`:                  {{"e", `q " b \ z`}, {"f", `\"`}},
		"k==v a=b=c\x0bd=1":                     {{"k", "=v"}, {"a", "b=c\x0bd=1"}},
		"":                                      nil,
	}
	for text, want := range cases {
		if got := parsePairs(text); !reflect.DeepEqual(got, want) {
			t.Errorf("parsePairs(%q) = %q, want %q", text, got, want)
		}
	}
}
