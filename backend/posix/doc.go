// Package posix is the envelopegw backend that keeps buckets in a directory
// tree on a POSIX filesystem, typically a SAN volume shared by several
// gateway processes.
//
// # Layout
//
//	<root>/
//	  .envelopegw/                 reserved for the gateway (keys, credentials); never a bucket
//	  writers/<writer-id>          lease files, one per live writable Backend (flock), see Crash leftovers
//	  buckets/
//	    <bucket>/
//	      bucket                   record: creation time (its presence makes the directory a bucket)
//	      objects/<key tree>       one head file per object (holding the data of a single PUT)
//	      data/<xx>/<id>           data files; <id> is 128 random bits in hex, <xx> its first byte
//	      uploads/<upload-id>/     one directory per multipart upload in progress
//	        upload                 record: key, initiation time, metadata
//	        p00001 ... p10000      the current version of each part number: a part file
//	                               (data and part record), also linked in data/ (partfile.go)
//	      tmp/                     files being written, and retired upload directories: <what>-<writer-id>-<random>
//	      locks/                   flock(2) files: "bucket" and 256 key stripes "k00".."kff"
//	      listing/<hash>           listing snapshots of large directories of objects/ (a cache, listsnap.go)
//
// An object is a head plus zero or more data files (extents). The head
// holds the key, the modification time, the metadata and the list of
// extents (id, size and offset). A single PUT keeps its data in the head
// file itself, before the record (an inline head, inline.go); heads of
// older versions, with one data file per PUT, stay readable.
// CompleteUpload produces a head whose extents are the parts' data files,
// as they are, so no part byte is read, copied or moved; SetMeta rewrites
// the head only, and turns inline data into a data file by a hard link.
// Copy hard-links the source's data files (or an inline source's head
// file) under new ids (through a temp name, as a writer's data file) and
// publishes a head naming them: no byte is read or written, and since
// data files never change and each object removes only its own names,
// neither object can harm the other (copy.go). Such a shared file has
// several links while both live.
//
// # Keys
//
// A key is split on "/". Each component becomes one path element with a
// one-byte type tag: 'd' for a directory (the component is followed by
// "/"), 'o' for the head file (the last component). Key "a/b" is
// objects/da/ob and key "a" is objects/oa, so a key and the keys below it
// as a "folder" coexist. Because every name starts with a tag, no name is
// empty, "." or ".."; '%' and the control characters are escaped as two
// bytes ("%%", "%@".."%_", "%?"), nothing else is. A component whose
// encoding exceeds 200 bytes is cut, between runes, into 'c' (continue)
// directories, so every name stays below NAME_MAX with no hashing and the
// key can always be recovered from its path. The encoding is a bijection
// onto the names it produces, and every name it produces is one plain
// path element: no key can address anything outside its bucket. The
// longest relative path is about 2,100 bytes, hence the limit on the
// length of root.
//
// # Listing
//
// Names decode to key fragments, so List needs no index: it starts at the
// deepest directory that holds every key with the prefix and merges the
// sorted entries of the directories it meets with a heap, reading a
// directory only when its least possible key is the next one due. In each
// directory it binary-searches to After and to the prefix, and stops at
// the end of the prefix; it never reads a directory that lies entirely at
// or before After; it rolls a directory up into a common prefix without
// reading past its first head file, and jumps over the rest of a common
// prefix; and it stops as soon as the page is full.
//
// readdir returns names in no order, so a directory is read and sorted
// whole. Large directories (a flat bucket, a backup of many chunk files)
// are therefore kept sorted in memory and revalidated with one stat per
// use (inode, size, mtime, ctime; a directory is cached only when its
// ctime is older than two seconds, so changes in the same timestamp tick
// cannot hide; see dircache.go). With the cache, the cost of a page is one
// stat per directory on its path plus one head read per key returned,
// whatever the size of the bucket. Options.ListCacheEntries bounds it.
// The heads read from a cached directory are kept with it, since a head
// changes only by a rename or unlink that also changes its directory's
// stamp: a page listed again costs the stats alone (headcache.go;
// Options.ListCacheBytes bounds them).
//
// Cold, with neither in memory, a large directory's entries and heads come
// from its listing snapshot when it has one for the directory as it is:
// the persisted form of those two caches, listing/<hash of the
// directory's path>, holding the sorted entries and each head's listing
// fields (key, size, time, version token, metadata: nothing that is not in
// the heads already), the directory's path and stamp, in CRC-32C-checked
// blocks (listsnap.go). A page then reads the snapshot's footer (the
// names; read whole, a few MiB for 125,000 entries) and the blocks of its
// heads, no head file. It is safe for the reason the head cache is: every
// head changes by a rename or unlink in its directory, and a snapshot is
// written (in the background, after a listing had to read heads; temp
// file and rename, no fsync) only for a stamp whose ctime was older than
// two seconds and that was unchanged once every head was read; any later
// change moves the stamp and the snapshot is ignored until rebuilt. One
// that is missing, torn, of another directory or format is ignored too:
// it is a cache, never a source of truth, so fsck and the
// crash-consistency checker neither read nor report it (Sweep only
// removes stale ones), its writes bypass
// the fileSystem seam, and it goes with its bucket; the offline commands
// (scrub, fsck, inventory, cat, rewrap) open the store with
// Options.NoListSnapshots and enumerate keys from the heads themselves. Limits: a writer with
// access to the volume can forge a snapshot as it can forge heads; a
// listing checks a snapshot's heads as it checks heads (a checksum; the
// key returned is the head's own), plus that each entry's head names the
// entry's key. A change made by a host whose clock lags by more than the
// two seconds could hide behind a snapshot as behind the directory cache.
// A block that fails its check leaves its keys to be read from the head
// files until the directory changes. Replacing or removing a head
// removes its directory's snapshot (listsnap_drop.go), so no snapshot
// keeps a header a rewrap took out of its object, or the metadata of an
// object since deleted; Sweep removes any snapshot not current for its
// directory (one a crash on a filesystem that reorders the unlink after
// the commit leaves, those of pruned directories; listsnap_sweep.go).
//
// # Commit protocol
//
// A single PUT streams into tmp/, appends the head record, fdatasyncs the
// file and renames it over the old head under the key lock, then fsyncs
// the head's directory (an fsync shared with the concurrent commits in
// that directory, groupcommit.go); only then does it remove the old head's
// data files, if it had any. Two disk waits, neither under the lock. A
// part writer streams into tmp/ in the same layout, with a part record
// that names the file itself (partfile.go), fsyncs it, links it to
// data/<xx>/<id>, fsyncs that directory, renames the temp name over the
// part's record under the key lock and fsyncs the upload directory: three
// waits. SetMeta's conversion of inline data links the head file to
// data/<xx>/<id>, fsyncs that directory, writes the new head to tmp/,
// fsyncs it, renames it into place and fsyncs its directory. File fsyncs are
// fdatasync(2): content and size, no timestamps. The rename is the commit
// point: a crash before it leaves an
// unreferenced file in tmp/ or data/ (Sweep removes both) and the old
// object intact; a crash after it leaves the new object complete and maybe
// unreferenced old data. The temp name of the data file goes only after
// the record is published (or the commit failed): until then the data
// file has two links, which tells Sweep it is in flight. Options.NoFsync
// keeps the order but skips the fsyncs.
//
// One rule keeps published data safe: once a record (head or part record)
// naming a data file has been renamed into place, nothing removes that
// file except the operation that later removes or replaces the record,
// after that removal is durable. A failure after the rename (an fsync
// error) is reported but never undoes the commit. And a directory that a
// concurrent operation pruned (Delete) or retired (CompleteUpload,
// AbortUpload) between a rename and its directory fsync is no failure at
// all: its entries are unreachable, so syncDirUp fsyncs the nearest
// ancestor that still exists, making the removal durable, and goes on.
//
// Head changes (commit, SetMeta, Delete, CompleteUpload) and part changes
// of one key serialize on an flock(2) stripe, so a read-modify-write of a
// head (SetMeta, which keeps the extents) can never resurrect data that a
// concurrent replace removed, and concurrent re-sends of one part number
// leave exactly one current version and no stray data. Every such change
// also holds the bucket lock shared; DeleteBucket holds it exclusive (and
// removes the uploads in progress with the bucket, as S3 does). Every
// change is also conditional: a backend.Cond is evaluated under the key
// lock against the head being replaced or removed, whose version token is
// its commit time and checksum (strictly later for every publish of a
// key), so create-only and compare-and-swap writes hold across processes. The
// locks are advisory and only exclude backends of this package; the
// filesystem must support flock(2) across the processes (and hosts) that
// share it. Readers take no locks. A Backend keeps its lock files open
// (a commit's locking is then two to five system calls instead of ten),
// pairing each with an in-process lock since flock(2) belongs to the open
// file, and follows a bucket deleted and made again by any process to its
// new lock files (lockcache.go).
//
// # Multipart uploads
//
// All upload state is in the bucket directory, so a part can be uploaded
// through one process and the upload completed through another. Upload
// IDs are the initiation time and 128 random bits in hex, checked on input
// before they become a path. A part commit renames its record over the
// previous version's and then removes that version's data file; the data
// file's id is the part's version ID. CompleteUpload checks each PartRef
// against the current records, publishes the head, and retires the upload
// directory to tmp/ under the key lock; then it removes the data of the
// parts it left out. AbortUpload retires the directory the same way and
// removes all part data. If a crash strikes between the head and the
// retirement, the upload lingers with part records naming the object's
// data files; abort and part re-sends therefore never remove a data file
// the key's current head references, and a repeated CompleteUpload
// succeeds.
//
// # Readers and the remaining race
//
// Open reads the head and opens the first data file at once; if that file
// is already gone (the object was replaced between the two steps) it reads
// the head again, once. Further data files are opened when a read first
// needs them, and kept open (a few at a time): on Linux an open file
// survives its unlink, so a reader keeps its consistent view of those
// extents. The race that remains: a multipart object replaced or deleted
// after Open, whose later extent the reader had not opened yet, fails that
// read with ErrNoSuchKey ("removed by a concurrent replace or delete"). A
// reader never sees bytes of two versions, because extent ids are never
// reused.
//
// # Crash leftovers
//
// A crash can leave, but never expose: temp files and retired upload
// directories in tmp/, a data file published without its record, the
// replaced data of an object, half-created or half-deleted bucket
// directories (".new-*", ".gone-*" under buckets/). Backend.Sweep, which
// serve runs at start and hourly, removes them as soon as they provably
// belong to no live process, whatever their age:
//
//   - Every writable Backend holds an exclusive flock(2) on a lease file
//     <root>/writers/<writer-id> for as long as it lives (the kernel drops
//     it when the process dies), and every temp entry and transient bucket
//     directory it creates carries that writer ID in its name. An entry
//     whose writer's lease can be locked, or no longer exists, is a dead
//     process's leftover (lease.go).
//   - A data file that no head or part record names and that has a single
//     link is no longer in flight (see the commit protocol): its writer
//     published its record, which a later change removed, or failed, or
//     died and had its temp name swept (such a file goes in the same
//     sweep). Sweep picks such candidates before it reads the records, so
//     a record published meanwhile is seen. A file must have kept its
//     single link for a minute (its ctime), which spares the in-flight
//     files of older versions that renamed data into place, during a
//     rolling upgrade.
//
// Entries without a writer ID (left by older versions) still go by age,
// and so does an unreferenced data file that shares its inode with a copy
// (several links), by the later of its mtime and ctime: a copy links old
// bytes, and only the ctime tells how recent the link is. A
// bucket with damaged records keeps all its data files (a damaged record
// may name any of them) until `envelopegw fsck --remove-damaged` removes
// the records.
//
// # Damaged records
//
// A head, part or upload record that exists but does not decode (zero
// length after a power loss under NoFsync, a media error; every record
// carries a CRC-32C) costs only its own key: listings, ListParts,
// ListUploads and Sweep skip it and log it; Delete removes it and an
// overwrite replaces it as if the key were absent (its data files are left
// to Sweep); Stat and Open report it. Backend.Check reports every damaged
// record and, on request, removes it under the key lock.
//
// # Crash consistency, checked
//
// Every change to the volume goes through the fileSystem seam (fsys.go).
// The crash-consistency test records a workload's operations through it,
// enumerates the states a crash can leave (unforced metadata operations
// lost or reordered, unsynced content lost or torn), rebuilds each one,
// reopens it with a fresh Backend and its startup Sweep, and checks that
// every acknowledged object reads back byte-identical, an unacknowledged
// change is done or not done, and nothing listed is unreadable: about
// 1,650 distinct states (fewer since inline heads and part files: fewer
// steps per PUT and per part), 0 violations. docs/CRASH-CONSISTENCY.md has the
// model and the latest numbers.
//
// # Requirements on the filesystem
//
// Atomic rename(2) within a bucket, rename of a directory onto a non-empty
// one failing (bucket creation), hard links, case-sensitive names of up to
// 255 bytes, flock(2), and fsync of directories. Local filesystems (ext4, XFS) and
// cluster filesystems such as GFS2 and OCFS2 qualify; NFS qualifies with
// working locks and close-to-open consistency.
package posix
