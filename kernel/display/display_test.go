package display

import (
	"reflect"
	"testing"
)

func TestBundles(t *testing.T) {
	tests := []struct {
		name string
		got  Bundle
		want Bundle
	}{
		{"html", HTML("<b>x</b>"), Bundle{"text/html": "<b>x</b>", "text/plain": "<b>x</b>"}},
		{"markdown", Markdown("# T"), Bundle{"text/markdown": "# T", "text/plain": "# T"}},
		{"svg", SVG("<svg/>"), Bundle{"image/svg+xml": "<svg/>", "text/plain": "<SVG image>"}},
		{"png", PNG([]byte{0x89, 'P', 'N', 'G'}), Bundle{"image/png": "iVBORw==", "text/plain": "<PNG image, 4 bytes>"}},
		{"json", JSON(map[string]int{"a": 1}), Bundle{"application/json": map[string]any{"a": 1.0}, "text/plain": "{\n  \"a\": 1\n}"}},
		{"json error", JSON(func() {}), Bundle{"text/plain": "<json: json: unsupported type: func()>"}},
		{"table", NewTable("host", "ip").Row("web-1", "10.0.0.1").Row("db", 5).MIMEBundle(), Bundle{
			"text/plain": "host   ip\n-----  --------\nweb-1  10.0.0.1\ndb     5\n",
			"text/html":  "<table>\n<thead><tr><th>host</th><th>ip</th></tr></thead>\n<tbody>\n<tr><td>web-1</td><td>10.0.0.1</td></tr>\n<tr><td>db</td><td>5</td></tr>\n</tbody>\n</table>",
		}},
		{"table escapes html", NewTable("<h>").Row("a&b").MIMEBundle(), Bundle{
			"text/plain": "<h>\n---\na&b\n",
			"text/html":  "<table>\n<thead><tr><th>&lt;h&gt;</th></tr></thead>\n<tbody>\n<tr><td>a&amp;b</td></tr>\n</tbody>\n</table>",
		}},
		{"of plain value", Of(42), Bundle{"text/plain": "42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("bundle = %#v\nwant     %#v", tt.got, tt.want)
			}
		})
	}
}

func TestShowPublishes(t *testing.T) {
	var got []Bundle
	SetPublisher(func(b Bundle) { got = append(got, b) })
	defer SetPublisher(nil)
	Show(HTML("a"), 7)
	if len(got) != 2 || got[0]["text/html"] != "a" || got[1]["text/plain"] != "7" {
		t.Errorf("published %v", got)
	}
}
