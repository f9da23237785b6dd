package gateway

import "fmt"

// RewrapPrefixes returns the backend key prefixes to list so that a rewrap
// of the user keys under prefix reaches every version of them: the
// noncurrent versions live under the reserved archive prefix, not under
// their key, and an old backup sealed to a removed key is as readable as
// the current one. The whole bucket ("") is one listing: reserved keys
// sort first in it (Rewrap skips what holds no data key).
func RewrapPrefixes(prefix string) []string {
	if prefix == "" {
		return []string{""}
	}
	return []string{archivePrefix + prefix, prefix}
}

// rewrapWhere names an object in a rewrap's errors: a noncurrent version
// by its key and version ID, not by its reserved backend name (NUL bytes
// on an operator's terminal).
func rewrapWhere(bucket, backendKey string) string {
	key, version := InventoryName(backendKey)
	if version != "" {
		return fmt.Sprintf("%s/%q (version %s)", bucket, key, version)
	}
	return fmt.Sprintf("%s/%q", bucket, key)
}
