package main

import (
	"log/slog"
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
// The caller Closes it when done, which signs the entries of the last
// second.
func openInventory(data string, key *envelope.SigningKey, noFsync bool) (*inventory.Log, error) {
	if key == nil {
		return nil, nil
	}
	return inventory.Open(inventoryDir(data), key, inventory.Options{NoFsync: noFsync})
}

// asInventory keeps a nil *inventory.Log a nil interface.
func asInventory(l *inventory.Log) gateway.InventoryLog {
	if l == nil {
		return nil
	}
	return l
}

// closeInventory signs what the log holds unsigned, when there is a log.
func closeInventory(l *inventory.Log, logger *slog.Logger) {
	if l == nil {
		return
	}
	if err := l.Close(); err != nil {
		logger.Error("inventory: signing the last checkpoint", "err", err)
	}
}
