// Package testharness runs the real envelopegw binary against real S3
// clients, and holds the end-to-end tests that do so.
//
// The harness is deliberately small. Binary builds cmd/envelopegw once per
// test process; Start runs `envelopegw serve` on a free loopback port with
// a fresh data directory, a freshly generated key pair and explicit
// credentials, waits until the port answers, and stops the process when the
// test ends. S3Client, MinioClient, AWSCLI and AWSCommand build clients
// pointed at that gateway.
//
// Every client gets an explicit, clean configuration. The machines this
// runs on set AWS_CA_BUNDLE and may set other AWS_* variables; a test that
// inherited them would test the machine, not the gateway. The SDK clients
// are built from options (never from the shared config loader), and the aws
// CLI runs with a temporary HOME, its own config and credentials files and
// an environment that carries no AWS_* variable the harness did not put
// there.
//
// Clients that are not installed make a test skip, with the reason, except
// when CI=true: there a missing client is a failure, so a green CI run means
// every end-to-end test ran.
//
// The aws-sdk-go-v2 only sends aws-chunked bodies with checksum trailers
// over HTTPS, so Options.TLS serves the gateway with a throwaway
// certificate that every harness client trusts.
//
// Test data is generated from a seeded PRNG and streamed (DataReader,
// WriteDataFile) and compared by SHA-256, so a multi-GiB test never holds
// its object in memory.
//
// Packages that use the harness should call Main from their TestMain, so
// the temporary directory holding the built binary is removed at exit.
// ENVELOPEGW_TEST_BINARY names a prebuilt binary to use instead.
//
// The end-to-end tests of this package, by file:
//
//	sdk_*_test.go        aws-sdk-go-v2 in three body forms (CRC32 trailers over
//	                     HTTPS, CRC32 header + signed payload, signed payload
//	                     only): buckets, objects, metadata, conditionals, copy,
//	                     listings, key names, ranges, multipart, checksums
//	presign_test.go      presigned GET/PUT with net/http and curl, expiry
//	minio_test.go        minio-go, signed aws-chunked bodies, size -1 uploads
//	awscli_test.go       the aws CLI: issue acceptance, 1 GiB file and pipe
//	chunked_test.go      hand-signed aws-chunked bodies, good and broken
//	ciphertext_test.go   no plaintext marker anywhere on the volume
//	ingest_test.go       ingest-only gateways and offline `envelopegw cat`
//	shared_volume_test.go two processes, one volume, one multipart upload
//	faults_test.go       tampered ciphertext, SIGKILL mid-upload, torn reads
//	janitor_test.go      abandoned multipart uploads expire
//	devmode_test.go      serve with no configuration: the README flow
//	protocol_test.go     auth errors, body forms, virtual hosts, request IDs
//	harness_test.go      the harness itself: start, restart, kill, clean envs
//	sdk_tagging_test.go, sdk_owner_test.go, awscli_tags_test.go,
//	minio_tagging_test.go, boto3_tags_test.go, roles_tagging_test.go
//	                     object tags, ACLs (disabled, as AWS answers),
//	                     ownership controls, expected bucket owner and
//	                     ListBuckets paging with each client; tags and roles
package testharness
