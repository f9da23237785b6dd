// Package memtrim gives the heap a burst of requests grew back to the
// operating system once the burst is over.
//
// The Go runtime returns freed heap pages only after a garbage collection
// has found them free, and it collects when the heap reaches its goal
// (twice the live heap with GOGC=100) or every two minutes. A burst of
// uploads leaves its buffers (each request's 1 MiB copy, batch and write
// buffers, many of them parked in sync.Pools) as garbage that no
// allocation triggers a collection for once the requests stop: the
// process stays at the burst's peak for minutes, and the next burst's
// peak comes on top of it (measured: get64 after the PUT workloads peaked
// at 157 MiB against 99-105 MiB alone; docs/BENCHMARKS.md).
//
// A Tracker counts the requests in flight through its middleware. Its
// Run loop, off the request path, releases memory when the gateway has
// been idle for a quiet period after some activity: two collections (the
// first moves sync.Pool contents to the pools' victim caches, the second
// frees them) and then debug.FreeOSMemory's scavenge. It never runs while
// a request is in flight, at most once per burst, and never twice within
// the minimum interval, so a gateway under steady load never pays for it
// and an idle one pays once: a few milliseconds of CPU for a heap of tens
// of MiB.
package memtrim
