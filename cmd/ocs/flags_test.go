package main

import (
	"testing"
	"time"
)

func TestDurationValue(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{"2.5", 2500 * time.Millisecond, true},
		{"0", 0, true},
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"-1", 0, false},
		{"-5s", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"1e300", 0, false},
		{"soon", 0, false},
		{"30 s", 0, false},
	}
	for _, tc := range tests {
		var d time.Duration
		err := durationValue{&d}.Set(tc.in)
		if (err == nil) != tc.ok || tc.ok && d != tc.want {
			t.Errorf("Set(%q) = %v, %v; want %v, ok=%v", tc.in, d, err, tc.want, tc.ok)
		}
	}
}
