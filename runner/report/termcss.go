package report

import (
	"fmt"
	"strings"
)

// termCSS styles the classes terminal-to-html gives coloured output: the
// eight colours and their bright forms, the 256-colour palette, bold,
// faint, italic, underline and strike-through.
func termCSS() string {
	base := []string{"#24292f", "#cf222e", "#116329", "#7d4e00", "#0550ae", "#8250df", "#1b7c83", "#6e7781",
		"#57606a", "#a40e26", "#1a7f37", "#9a6700", "#218bff", "#a475f9", "#3192aa", "#8c959f"}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, ".term-fg%d{color:%s}.term-fgi%d{color:%s}.term-bg%d{background:%s}.term-bgi%d{background:%s}\n",
			30+i, base[i], 90+i, base[8+i], 40+i, base[i], 100+i, base[8+i])
	}
	for i := 0; i < 256; i++ {
		var c string
		switch {
		case i < 16:
			c = base[i]
		case i < 232:
			n := i - 16
			level := func(v int) int {
				if v == 0 {
					return 0
				}
				return 55 + 40*v
			}
			c = fmt.Sprintf("#%02x%02x%02x", level(n/36), level(n/6%6), level(n%6))
		default:
			g := 8 + 10*(i-232)
			c = fmt.Sprintf("#%02x%02x%02x", g, g, g)
		}
		fmt.Fprintf(&b, ".term-fgx%d{color:%s}.term-bgx%d{background:%s}\n", i, c, i, c)
	}
	b.WriteString(".term-fg1{font-weight:700}.term-fg2{opacity:.7}.term-fg3{font-style:italic}.term-fg4{text-decoration:underline}.term-fg9{text-decoration:line-through}\n")
	return b.String()
}
