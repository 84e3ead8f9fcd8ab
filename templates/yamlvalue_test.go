package templates

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzYAMLValue: any YAML document converts or fails with an error, and
// every value converted becomes a one-line Python literal.
func FuzzYAMLValue(f *testing.F) {
	for _, s := range []string{"1", "[1, {b: c}]", "a: &x [1]\nb: *x\n", "!!binary aGk=", "2024-01-01T10:00:00Z", "123456789012345678901234567890", "~", ".nan"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
			return
		}
		v, err := YAMLValue(&n)
		if err != nil {
			return
		}
		lit, err := PyLiteral(v)
		if err != nil {
			return // text that is not UTF-8 (a !!binary scalar's, say) is refused
		}
		if strings.ContainsAny(lit, "\n\r") {
			t.Fatalf("%q: literal %q spans lines", doc, lit)
		}
	})
}

func TestYAMLValueBounded(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g"} {
		doc += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := YAMLValue(&n); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("aliases of aliases expanded: %v", err)
	}
	if err := yaml.Unmarshal([]byte("[[[[1]]]]"), &n); err != nil {
		t.Fatal(err)
	}
	v, err := YAMLValue(&n)
	if lit, _ := PyLiteral(v); err != nil || lit != "[[[[1]]]]" {
		t.Fatalf("%v %v", lit, err)
	}
}
