package vcp

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkBoot20 boots a unit of 20 local nodes (goal: under 5 s).
func BenchmarkBoot20(b *testing.B) {
	s := newTestSDK(b, nil)
	for i := 0; b.Loop(); i++ {
		ug, err := s.CreateUGroup(fmt.Sprintf("bench%d", i))
		if err != nil {
			b.Fatal(err)
		}
		spec, _ := s.GetSpec("local", "small")
		spec.NumNodes = 20
		if _, err := ug.CreateUnit("n", spec); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := ug.Cleanup(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkFanOut runs one command on 1 and on 20 nodes (goal: 20 nodes
// take under twice the time of one). "echo" measures the fixed cost of a
// connection and a shell (CPU-bound: on 2 cores 20 nodes cannot beat 10x),
// "sleep0.2" a command that takes time, where the fan-out must overlap.
func BenchmarkFanOut(b *testing.B) {
	s := newTestSDK(b, nil)
	ug, err := s.CreateUGroup("fan")
	if err != nil {
		b.Fatal(err)
	}
	spec, _ := s.GetSpec("local", "small")
	spec.NumNodes = 20
	if _, err := ug.CreateUnit("n", spec); err != nil {
		b.Fatal(err)
	}
	ts, err := ug.Targets("")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, cmd string }{{"echo", "echo hi"}, {"sleep0.2", "sleep 0.2"}} {
		for _, n := range []int{1, 20} {
			b.Run(fmt.Sprintf("%s/nodes=%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					if err := FanOut(context.Background(), ts[:n], c.cmd, nil, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
