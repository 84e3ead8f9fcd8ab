package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// durationValue is a duration flag that takes a Go duration (90s, 1h30m)
// or a bare number of seconds (30, 2.5), as papermill's timeouts do. A
// negative or non-finite value is refused: it would silently mean "none".
type durationValue struct{ d *time.Duration }

func (v durationValue) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n > math.MaxInt64/float64(time.Second) {
			return fmt.Errorf("want a duration of zero or more, got %q", s)
		}
		*v.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like 90s or 1h30m, or a number of seconds, got %q", s)
	}
	if d < 0 {
		return fmt.Errorf("want a duration of zero or more, got %q", s)
	}
	*v.d = d
	return nil
}

func (v durationValue) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v durationValue) Type() string { return "duration" }

// durationVar defines a durationValue flag.
func durationVar(fl *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fl.Var(durationValue{p}, name, usage)
}
