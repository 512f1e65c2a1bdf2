package stack_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTheDataFolderIsTheOwnersAlone: the stack's files hold password
// hashes, keys and payments, so neither the folder nor any file in it is
// readable by another user of the machine.
func TestTheDataFolderIsTheOwnersAlone(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := start(t, dir, 1)
	signUp(t, s, "someone")
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("%s has mode %o, want 0700", dir, perm)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 5 {
		t.Fatalf("data folder holds %v (%v), want the stores and the keys", files, err)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %o, want no access for group or others", filepath.Base(f), perm)
		}
	}
}
