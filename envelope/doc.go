// Package envelope implements the envelopegw encryption format: a fresh
// random data key per object encrypts the data in authenticated segments,
// and the data key is sealed ("wrapped") for one or more recipients.
//
// The byte-level specification is FORMAT.md in this directory.
package envelope
