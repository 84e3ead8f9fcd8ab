package templates

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// YAMLValue converts a value of a parameters file to what PyLiteral
// writes: YAML's types kept (null, bool, int of any size, float, str,
// lists), mappings as a PyDict in the file's order, timestamps and other
// tags as their text.
func YAMLValue(n *yaml.Node) (any, error) {
	budget := maxYAMLNodes
	return yamlValue(n, 0, &budget)
}

// maxYAMLNodes bounds the values one parameter expands to: aliases of
// aliases would otherwise grow without end.
const maxYAMLNodes = 100000

func yamlValue(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if depth > 64 || *budget < 0 {
		return nil, fmt.Errorf("the value is nested too deep or too large")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		return yamlValue(n.Alias, depth+1, budget)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		d := PyDict{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := yamlValue(n.Content[i], depth+1, budget)
			if err != nil {
				return nil, err
			}
			v, err := yamlValue(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			d = append(d, PyItem{Key: k, Value: v})
		}
		return d, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		if b, ok := new(big.Int).SetString(strings.ReplaceAll(n.Value, "_", ""), 0); ok {
			return b, nil
		}
		return n.Value, nil
	case "!!float":
		// yaml.v3 resolves an int too large for int64 as a float; Python
		// takes it whole.
		if n.Style == 0 && bigInt().MatchString(n.Value) {
			if b, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(n.Value, "+"), "_", ""), 10); ok {
				return b, nil
			}
		}
		var f float64
		err := n.Decode(&f)
		return f, err
	}
	return n.Value, nil
}

var bigInt = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`) })
