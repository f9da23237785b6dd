package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procSample is what the benchmark reads about a server process.
type procSample struct {
	cpuSeconds float64 // utime + stime
	readBytes  int64   // /proc/PID/io read_bytes: reads that reached the block layer
	writeBytes int64   // /proc/PID/io write_bytes: bytes dirtied for the block layer
	rchar      int64   // every read(2)-like call, sockets included
	wchar      int64   // every write(2)-like call, sockets included
	hwm        int64   // VmHWM, peak resident set, bytes
}

func sampleProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name may contain spaces; fields resume after the last ')'.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.cpuSeconds = float64(ut+st) / clockTicks
	io, err := readKV(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return s, err
	}
	s.readBytes, s.writeBytes, s.rchar, s.wchar = io["read_bytes"], io["write_bytes"], io["rchar"], io["wchar"]
	status, err := readKV(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.hwm = status["VmHWM"] * 1024
	return s, nil
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux ≥ 4.0,
// needs the right to write the process's clear_refs: root or the owner).
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// readKV reads "name: number [kB]" lines.
func readKV(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
			m[k] = n
		}
	}
	return m, sc.Err()
}
