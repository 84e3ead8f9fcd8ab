package main

import (
	"bytes"
	"testing"
)

func TestManText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"One line.", ".PP\nOne line.\n"},
		{"First\nparagraph.\n\nSecond.", ".PP\nFirst\nparagraph.\n.PP\nSecond.\n"},
		{"Codes:\n\n  0  ok\n  1  failed\nAfter.", ".PP\nCodes:\n.PP\n.RS\n.nf\n  0  ok\n  1  failed\n.fi\n.RE\n.PP\nAfter.\n"},
		{".dot and 'quote\nlines", ".PP\n\\&.dot and 'quote\nlines\n"},
		{"'quoted\na\\b --flag", ".PP\n\\&'quoted\na\\eb \\-\\-flag\n"},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		manText(&b, tc.in)
		if b.String() != tc.want {
			t.Errorf("manText(%q) =\n%q, want\n%q", tc.in, b.String(), tc.want)
		}
	}
}
