package connlimit

import (
	"net"
	"syscall"
	"unsafe"
)

// unsentBytes is how many bytes written to c the peer has not yet
// acknowledged (SIOCOUTQ), or -1 if unknown. A falling count means the
// client is taking data even though no Write has made room yet: Linux
// reports a socket writable only once half its send queue has drained,
// so a slow reader can keep a Write waiting far longer than it stalls.
func unsentBytes(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n
}
