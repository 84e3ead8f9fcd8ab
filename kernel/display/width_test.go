package display

import "testing"

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":              0,
		"abc":           3,
		"ノード":           6,
		"ＡＢ":            4, // fullwidth
		"ｱｲ":            2, // halfwidth katakana
		"e\u0301":       1, // e + combining acute
		"が":             2, // precomposed
		"か\u3099":       2, // か + combining voiced mark
		"Moodle環境の構築":   16,
		"한국어":           6,
		"\u00e9t\u00e9": 3,
	} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestTruncateAndPad(t *testing.T) {
	if got := Truncate("ノードの作成と確認", 9); got != "ノードの…" || Width(got) > 9 {
		t.Errorf("Truncate = %q (width %d)", got, Width(got))
	}
	if got := Truncate("short", 9); got != "short" {
		t.Errorf("Truncate of a short string = %q", got)
	}
	if got := PadRight("構築", 6); got != "構築  " {
		t.Errorf("PadRight = %q", got)
	}
}

func TestAlignRows(t *testing.T) {
	got := AlignRows([][]string{{"名前", "x", "last"}, {"a", "値の例", ""}, {"e\u0301e", "y"}}, 2)
	want := "" +
		"名前  x       last\n" +
		"a     値の例\n" +
		"e\u0301e    y\n"
	if got != want {
		t.Errorf("AlignRows:\n%s\nwant:\n%s", got, want)
	}
}
