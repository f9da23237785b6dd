package connlimit

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// holdServer accepts on l and keeps every connection open; it returns the
// accepted connections as they come.
func holdServer(t *testing.T, cfg Config) (*Listener, chan net.Conn) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, cfg)
	t.Cleanup(func() { l.Close() })
	got := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			got <- c
		}
	}()
	return l, got
}

func dial(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether the server closed c without a byte (a read
// that times out means it is still open).
func refused(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func TestPerIPAndTotalCaps(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   Config
		limit Limit
	}{
		{"per-ip", Config{MaxConnsPerIP: 2, MaxConns: 10}, LimitPerIP},
		{"total", Config{MaxConnsPerIP: 10, MaxConns: 2}, LimitTotal},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var fired []Limit
			c.cfg.OnRefuse = func(l Limit, _ net.Addr) { mu.Lock(); fired = append(fired, l); mu.Unlock() }
			l, got := holdServer(t, c.cfg)
			dial(t, l)
			dial(t, l)
			a1, a2 := <-got, <-got
			if tot, ip := l.Open("127.0.0.1"); tot != 2 || ip != 2 {
				t.Fatalf("open %d/%d, want 2/2", tot, ip)
			}
			third := dial(t, l)
			if !refused(third) {
				t.Fatal("third connection was not closed")
			}
			mu.Lock()
			if len(fired) != 1 || fired[0] != c.limit {
				t.Errorf("OnRefuse saw %v, want [%s]", fired, c.limit)
			}
			mu.Unlock()
			// A slot freed is a slot usable again.
			a1.Close()
			a1.Close() // closing twice releases once
			fourth := dial(t, l)
			select {
			case <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("connection after a close was not accepted")
			}
			_ = fourth
			if tot, _ := l.Open("127.0.0.1"); tot != 2 {
				t.Errorf("open %d after close and reconnect, want 2", tot)
			}
			a2.Close()
		})
	}
}

// A write to a client that reads nothing fails after the stall timeout;
// before connlimit, such a write blocked for as long as the client liked.
func TestWriteStall(t *testing.T) {
	l, got := holdServer(t, Config{WriteStall: 200 * time.Millisecond})
	dial(t, l) // never reads
	s := <-got
	done := make(chan error, 1)
	go func() {
		_, err := s.Write(make([]byte, 256<<20)) // far more than socket buffers hold
		done <- err
	}()
	select {
	case err := <-done:
		var se *StallError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "stall-timeout") {
			t.Fatalf("write error %v, want a StallError", err)
		}
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Errorf("%v is not a net.Error timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("write to a client reading nothing did not fail")
	}
}

// The stall timeout is idle time: a client that keeps reading slowly,
// taking far longer than the timeout in total, gets everything.
func TestSlowReaderIsNotStalled(t *testing.T) {
	l, got := holdServer(t, Config{WriteStall: 400 * time.Millisecond})
	c := dial(t, l)
	s := <-got
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	done := make(chan error, 1)
	go func() {
		_, err := s.Write(data)
		s.Close()
		done <- err
	}()
	start := time.Now()
	var n int
	// Up to 512 KiB every 40 ms: about 1.5 s in all.
	buf := make([]byte, 512<<10)
	for {
		time.Sleep(40 * time.Millisecond)
		m, err := c.Read(buf)
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("slow reader's write failed after %s: %v", time.Since(start), err)
	}
	if n != len(data) {
		t.Fatalf("read %d of %d", n, len(data))
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("the reader took %s: not slow enough to test anything", d)
	}
	t.Logf("16 MiB read in %s with a 400ms stall timeout", time.Since(start))
}

func TestReporterSuppresses(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(slog.New(slog.NewTextHandler(&buf, nil)), 200*time.Millisecond)
	for range 5 {
		r.Fired("max-conns", "refused", "10.0.0.1:1")
	}
	r.Fired("header-timeout", "closed", "10.0.0.1:2")
	time.Sleep(250 * time.Millisecond)
	r.Fired("max-conns", "refused", "10.0.0.1:3")
	out := buf.String()
	if n := strings.Count(out, "limit=max-conns"); n != 2 {
		t.Errorf("max-conns logged %d times, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "more_since_last_report=4") || !strings.Contains(out, "limit=header-timeout") {
		t.Errorf("log:\n%s", out)
	}
}
