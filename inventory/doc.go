// Package inventory keeps envelopegw's tamper-evident inventory: an
// append-only log of every committed object change on a volume, made
// tamper-evident with a Merkle tree and signed checkpoints, as a
// transparency log is.
//
// # Entries
//
// An Entry names one change: its kind (put, complete, setmeta, delete),
// bucket, key, S3 version ID ("" until a bucket is versioned), the write
// ID and the SHA-256 of the signed object record the change stored, the
// plaintext and stored sizes, and the time. Its encoding is one line of
// JSON (keys may hold any character; JSON escapes them), and the line is
// the record the tree hashes.
//
// A change is logged twice. Before the backend commit, a pending entry
// (an intent, Pending set) is appended and made durable; after the commit
// and before the client is answered, the entry itself. A crash between
// the two leaves an intent without its entry, so Verify can tell an
// object committed by the gateway but never logged (the crash window)
// from one added behind the gateway's back, which has no intent. An
// intent whose commit failed (a lost precondition, a full disk) is
// harmless: it only ever explains an object that exists.
//
// # The tree
//
// The entries are the leaves of the Merkle tree of
// golang.org/x/mod/sumdb/tlog (RFC 6962 hashing). Its stored hashes, a
// little under two per entry, are kept in a file beside the entries, so an
// append reads O(log n) hashes and writes O(1) amortized, whatever the
// size of the log. A checkpoint is the tree size and root hash in the
// signed-note text form of golang.org/x/mod/sumdb/note:
//
//	envelopegw inventory
//	<tree size>
//	<root hash, base64>
//
//	— envelopegw-<signer key ID> <base64 of key hash || hybrid signature>
//
// signed by the gateway's signing key (Ed25519 and ML-DSA-65, both must
// verify; see envelope.SigningKey). A signature costs about as much as
// the record signature of the write itself, so checkpoints are signed
// lazily: an entry is durable before its write is answered, and a
// checkpoint covering it is signed within Options.SignDelay (a second),
// once for all the entries of that second, and when the Log is closed.
// Replay treats the unsigned tail as part of the log and counts it. The
// tail is no weaker than a signed one: the signer signs whatever its files
// hold, so what protects history is a checkpoint exported off the host;
// and an entry appended by someone else to log an old record again (to
// excuse a rollback) is reported, since the gateway never logs one record
// twice.
//
// # One log per volume
//
// The log lives under the volume's reserved directory
// (.envelopegw/inventory/), one per volume rather than per bucket: a
// single checkpoint then covers every bucket, including buckets created
// and removed in between, and it is the one thing an operator exports and
// keeps off the host. The price is that every append on the volume takes
// one lock; group commit (below) keeps that cheap.
//
// # Files and concurrency
//
//	lock      flock(2): exclusive for appends, shared for readers
//	entries   the entries, one line each
//	hashes    the tree's stored hashes, 32 bytes each, in tlog order
//	head      JSON: entry count, entries length, latest signed checkpoint
//	          and the point up to which the stored hashes are durable;
//	          replaced when a checkpoint is signed
//	head.tmp  an older head: the next head is written into it and
//	          exchanged with head (renameat2), reusing the inode
//	committed the commit mark: 32 bytes naming the entry count and
//	          length the last batch made durable (mark.go)
//
// An append takes the lock, finds the durable end of the log (a crashed
// appender may have left a torn tail, which is cut), appends the batch to
// entries and fdatasyncs it, writes the batch's stored hashes without
// fsync, then overwrites the commit mark without fsync (one pwrite). A
// Log keeps the lock, entries, hashes and mark files open and remembers
// the head it last wrote or read, which it trusts only while the head
// file is still that file (one stat per append; files.go): in steady
// state an append opens no file and parses no head. Several gateway
// processes on one volume therefore append safely, one batch at a time. Inside a
// process, Append is group-committed: callers that arrive while a batch
// is being written form the next batch and share its lock, its fdatasync
// and its mark write; every caller returns only after its entry is
// durable.
//
// # Durability: one wait per append
//
// The entries are the log; everything else is derived. The stored hashes
// are a function of the entries (tlog.StoredHashes), and the head and
// the mark are hints of where they end. So the only synchronous disk
// wait of an append is the fdatasync of the entries file (fdatasync: the file's size is the only
// metadata a reader needs). After a machine crash, whatever stored hashes
// were written since the last fsync may be missing, short, zeroed or
// stale; the first append of each Log (each process: only a machine
// crash loses unsynced writes, and it ends the processes that made them)
// recomputes the stored hashes of every entry past the last durable
// point and rewrites those that differ. Every newline-ended line that
// parses counts; the first that does not (a torn batch: a missing
// newline, a block of zeros) is cut with all after it, unless the head
// or the mark commits it, which is damage and an error.
//
// The durable point is the latest checkpoint. Signing one (lazily, at
// most once per SignDelay) fdatasyncs the stored hashes it covers, and
// the entries when the batch was empty, before the head naming it is
// written, fsynced and renamed into place with a directory fsync: a
// checkpoint never refers to hashes that are not on disk (a consistency
// proof reads them), and head records that point (Durable) for recovery.
// The cost of recovery is bounded by the entries of one SignDelay.
//
// A PUT thus waits for two log syncs, the intent's and the entry's, where
// it waited for four. Both remain. The intent must be durable before the
// backend's commit is, or a crash could leave a committed object with no
// intent, which Verify would report as added behind the gateway's back;
// syncing a different file (the backend's rename and directory fsync)
// orders nothing about entries. The entry must be durable before the
// client is answered. What group commit merges is waits across requests:
// concurrent requests' intents and entries land in the same batch and
// share one fdatasync. (Overlapping the intent's sync with the backend's
// fdatasync of the object data, which precedes its rename, would be sound
// too; it needs a hook inside the backend's commit, not taken here.)
//
// # Verification
//
// Replay reads the whole log, recomputes every tree hash from the entries
// (it trusts neither the hashes file nor head), checks the latest
// checkpoint's signature and root, and, given an older checkpoint kept
// elsewhere, proves with a tlog consistency proof that the log extends
// it: a log truncated or rewritten behind the gateway fails there. Diff
// then holds the volume to the log's latest state per object and names
// every object deleted, rolled back to an older record, replaced, or
// added outside the gateway.
package inventory
