// Package mariadb runs real MariaDB backups through envelopegw, end to
// end, with Debian's mariadb-server and mariadb-backup.
//
// The test starts a throwaway MariaDB server (mariadbd on 127.0.0.1, a
// free port, a temporary datadir made by mariadb-install-db), fills a
// database of several tables with about 100k rows, and streams
// `mariadb-backup --backup --stream=xbstream` into the gateway two ways: as
// one object through `aws s3 cp -` (a multipart upload from a pipe of
// unknown length) and as one object per chunk through the project's
// xbcloud-pattern client. It restores each way a user would: `aws s3 cp
// ... -`, a presigned URL fetched with curl, `xbcloud get`, and
// `envelopegw cat` reading the data directory with the private key while no
// server runs. Every restore goes through `mbstream -x`,
// `mariadb-backup --prepare` and a second mariadbd started on the restored
// datadir, whose CHECKSUM TABLE results must equal the original's.
//
// Then one byte of ciphertext is flipped in every large file on the
// volume, and each restore pipeline, run under `set -o pipefail`, must
// exit non-zero: a restore may fail, but it must never hand MariaDB a
// silently different datadir.
//
// Pipelines run in bash so that the exit status is the one an operator's
// script would see. Outside CI a missing binary skips the test with the
// reason; with CI=true it fails it (.ci/run installs the packages).
package mariadb
