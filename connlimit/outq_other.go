//go:build !linux

package connlimit

import "net"

// unsentBytes is unknown off Linux: only Write progress counts there.
func unsentBytes(net.Conn) int { return -1 }
