package testharness

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConcurrentDeleteObjectsInOneFolder (issue 8, item 3): DeleteObjects
// requests running at once on keys of one "folder" prune each other's
// directories. Every key must be reported deleted (no InternalError), and
// no ciphertext may be left behind. fsync stays on: the race is between a
// delete's directory fsync and a neighbour's pruning.
func TestConcurrentDeleteObjectsInOneFolder(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	const rounds, keys, clients = 8, 40, 4
	var errs int
	for r := 0; r < rounds; r++ {
		for i := 0; i < keys; i++ {
			put(t, c, b, fmt.Sprintf("folder/sub/k%02d", i), []byte("x"))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for w := 0; w < clients; w++ {
			var objs []types.ObjectIdentifier
			for i := w; i < keys; i += clients {
				objs = append(objs, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("folder/sub/k%02d", i))})
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: objs}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("DeleteObjects: %v", err)
					return
				}
				for _, e := range out.Errors {
					errs++
					if errs <= 5 {
						t.Errorf("DeleteObjects: %s: %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
					}
				}
			}()
		}
		wg.Wait()
	}
	left := 0
	filepath.WalkDir(filepath.Join(g.DataDir, "buckets", b, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			left++
		}
		return nil
	})
	t.Logf("%d rounds of %d concurrent DeleteObjects of %d keys: %d errors, %d data files left", rounds, clients, keys, errs, left)
	if left != 0 {
		t.Errorf("%d data files left after every key was deleted", left)
	}
}
