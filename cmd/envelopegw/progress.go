package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progressBar draws "label [=====>   ] 42% 1.2 GiB 850 MiB/s" on stderr,
// only when stderr is a terminal and only once a run has lasted a second,
// so short runs and scripts see nothing.
type progressBar struct {
	out   io.Writer
	label string
	total int64 // -1 when unknown
	count bool  // counts things (objects), not bytes
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	done  chan struct{}
}

const progressDelay = time.Second

// osStdio is the process's standard streams.
func osStdio() stdio {
	return stdio{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
		outTTY: term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// startProgress returns nil (a valid, silent bar) unless stderr is a terminal.
func startProgress(s stdio, label string, total int64) *progressBar {
	return startBar(s, label, total, false)
}

// startCountProgress is startProgress for a bar that counts items.
func startCountProgress(s stdio, label string, total int64) *progressBar {
	return startBar(s, label, total, true)
}

func startBar(s stdio, label string, total int64, count bool) *progressBar {
	if !s.errTTY {
		return nil
	}
	p := &progressBar{out: s.err, label: label, total: total, count: count, start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progressBar) loop() {
	defer close(p.done)
	select {
	case <-p.stop:
		return
	case <-time.After(progressDelay):
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		p.draw()
		select {
		case <-p.stop:
			p.draw()
			fmt.Fprint(p.out, "\n")
			return
		case <-t.C:
		}
	}
}

func (p *progressBar) draw() {
	n := p.n.Load()
	if p.count {
		fmt.Fprintf(p.out, "\r%s %d / %d\x1b[K", p.label, n, p.total)
		return
	}
	rate := float64(n) / max(time.Since(p.start).Seconds(), 1e-3)
	line := fmt.Sprintf("%s %s %s/s", p.label, humanBytes(float64(n)), humanBytes(rate))
	if p.total > 0 {
		frac := min(float64(n)/float64(p.total), 1)
		const width = 30
		full := int(frac * width)
		bar := strings.Repeat("=", full) + strings.Repeat(" ", width-full)
		line = fmt.Sprintf("%s [%s] %3.0f%% %s / %s %s/s", p.label, bar, frac*100,
			humanBytes(float64(n)), humanBytes(float64(p.total)), humanBytes(rate))
	}
	fmt.Fprintf(p.out, "\r%s\x1b[K", line)
}

// Finish stops the bar; safe on a nil bar.
func (p *progressBar) Finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
}

func (p *progressBar) add(n int) {
	if p != nil {
		p.n.Add(int64(n))
	}
}

// Reader counts what passes through r.
func (p *progressBar) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return progressReader{r, p}
}

// Writer counts what passes through w.
func (p *progressBar) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return progressWriter{w, p}
}

type progressReader struct {
	r io.Reader
	p *progressBar
}

func (r progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *progressBar
}

func (w progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.add(n)
	return n, err
}

func humanBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
