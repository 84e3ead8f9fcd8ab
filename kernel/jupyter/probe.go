package jupyter

import (
	"context"
	"net"
	"syscall"
	"time"
)

// probeInterval is how often ocs looks whether a starting kernel listens.
const probeInterval = 5 * time.Millisecond

// awaitListening returns once something accepts TCP connections on ip:port,
// or when ctx ends. A kernel binds its ports only after its imports (half
// a second for ipykernel); zmq4 dialling five sockets every few
// milliseconds until then cost a tenth of the CPU of a Python run's start,
// taken from the kernel starting beside it. A bare connect costs three
// system calls, and none of Go's poller. The probe's connection closes at
// once; ZeroMQ drops a peer that leaves before its greeting.
func awaitListening(ctx context.Context, ip string, port int) error {
	addr := net.ParseIP(ip).To4()
	if addr == nil {
		return nil // not IPv4: leave it to zmq4's retries
	}
	sa := &syscall.SockaddrInet4{Port: port}
	copy(sa.Addr[:], addr)
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		if listening(sa) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// listening tries one blocking connect: on an address of this machine it
// is refused or accepted at once.
func listening(sa *syscall.SockaddrInet4) bool {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return true // out of descriptors, say: let the dial tell
	}
	defer syscall.Close(fd)
	return syscall.Connect(fd, sa) == nil
}
