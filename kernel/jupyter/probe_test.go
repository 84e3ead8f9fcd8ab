package jupyter

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"
)

// A kernel's port that starts listening later ends the wait soon after;
// one that never does ends it with the context.
func TestAwaitListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // the port is free again: nothing listens on it now

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := awaitListening(ctx, "127.0.0.1", port); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("nothing listening: err %v, want the context's deadline", err)
	}

	opened := make(chan net.Listener, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			opened <- nil
			return
		}
		opened <- l
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := awaitListening(ctx, "127.0.0.1", port); err != nil {
		t.Fatalf("listener opened later: %v", err)
	}
	l = <-opened
	if l == nil {
		t.Skip("the port was taken by another program meanwhile")
	}
	l.Close()
}
