package standby

import "testing"

func TestParseSigIgn(t *testing.T) {
	cases := []struct {
		status string
		want   uint64
	}{
		{"Name:\tocs\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000003\nSigCgt:\tfffffffd7fc1feff\n", 3},
		{"Name:\tocs\nSigIgn:\t0000000000001000\n", 1 << 12},
		{"Name:\tocs\nSigIgn:\t00000000000000000\n", unknownSignals}, // 17 digits
		{"Name:\tocs\nSigIgn:\t\n", unknownSignals},
		{"Name:\tocs\nSigIgn:\t00x0\n", unknownSignals},
		{"Name:\tocs\nSigIgn:\t0000", unknownSignals}, // no line end
		{"Name:\tocs\n", unknownSignals},
	}
	for _, c := range cases {
		if got := parseSigIgn([]byte(c.status)); got != c.want {
			t.Errorf("parseSigIgn(%q) = %x, want %x", c.status, got, c.want)
		}
	}
}

func FuzzParseSigIgn(f *testing.F) {
	f.Add([]byte("Name:\tocs\nSigIgn:\t0000000000000003\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = parseSigIgn(b) })
}
