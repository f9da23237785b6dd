package main

import (
	"path/filepath"

	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/inventory"
)

// inventoryDir is where a posix volume keeps its inventory log.
func inventoryDir(data string) string { return filepath.Join(data, filepath.FromSlash(inventory.Dir)) }

// openInventory opens the volume's inventory log for a process that
// changes objects on it (serve, rewrap): every change it commits is
// logged, and the log's checkpoints are signed with key. An upstream-S3
// backend keeps no log (a documented limit).
func openInventory(data string, key *envelope.SigningKey, noFsync bool) (gateway.InventoryLog, error) {
	if key == nil {
		return nil, nil
	}
	l, err := inventory.Open(inventoryDir(data), key, inventory.Options{NoFsync: noFsync})
	if err != nil {
		return nil, err
	}
	return l, nil
}
