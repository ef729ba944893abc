//go:build unix

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/feedd/feedd/bodies"
	bolt "go.etcd.io/bbolt"
)

// store is the five operations compared, and the disk space they take.
// The workload never gets or replaces a released id, so only segments
// checks for one.
type store interface {
	Put(b []byte) (uint64, error)
	Get(id uint64) ([]byte, error)
	Replace(id uint64, b []byte) error
	Release(id uint64) error
	Close() error
	DiskBytes() (int64, error)
}

// loader is a store that puts the start-up scan's bodies in batches.
type loader interface {
	PutBatch(bodies [][]byte) ([]uint64, error)
}

func open(name, dir string) (store, error) {
	switch name {
	case "segments":
		s, err := bodies.Open(bodies.Options{Dir: dir})
		return segments{s}, err
	case "bbolt":
		return openBolt(dir)
	case "files":
		return &files{dir: dir}, nil
	}
	return nil, fmt.Errorf("no store %q: segments, bbolt or files", name)
}

type segments struct{ *bodies.Store }

func (s segments) Release(id uint64) error   { s.Store.Release(id); return nil }
func (s segments) DiskBytes() (int64, error) { return s.Stats().FileBytes, nil }

type boltStore struct {
	db   *bolt.DB
	path string
	last uint64
}

var bucket = []byte("bodies")

func openBolt(dir string) (*boltStore, error) {
	path := filepath.Join(dir, "bodies.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &boltStore{db: db, path: path}, nil
}

func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func (s *boltStore) Put(b []byte) (uint64, error) {
	ids, err := s.PutBatch([][]byte{b})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func (s *boltStore) PutBatch(bodies [][]byte) ([]uint64, error) {
	ids := make([]uint64, len(bodies))
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for i, b := range bodies {
			ids[i] = s.last + 1 + uint64(i)
			if err := bk.Put(key(ids[i]), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.last += uint64(len(bodies))
	return ids, nil
}

func (s *boltStore) Get(id uint64) ([]byte, error) {
	var b []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		// The value is in the database's mmap, valid only in the
		// transaction.
		if v := tx.Bucket(bucket).Get(key(id)); v != nil {
			b = bytes.Clone(v)
		}
		return nil
	})
	if err == nil && b == nil {
		err = fmt.Errorf("no body %d", id)
	}
	return b, err
}

func (s *boltStore) Replace(id uint64, b []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key(id), b) })
}

func (s *boltStore) Release(id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(key(id)) })
}

func (s *boltStore) Close() error { return s.db.Close() }

func (s *boltStore) DiskBytes() (int64, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// files keeps each body in a file named by its id.
type files struct {
	dir  string
	last uint64
}

func (s *files) path(id uint64) string { return filepath.Join(s.dir, strconv.FormatUint(id, 10)) }

func (s *files) Put(b []byte) (uint64, error) {
	s.last++
	return s.last, os.WriteFile(s.path(s.last), b, 0o600)
}

func (s *files) Get(id uint64) ([]byte, error) { return os.ReadFile(s.path(id)) }

// Replace writes the new body beside the old and renames it over it, so
// that a reader gets either, whole.
func (s *files) Replace(id uint64, b []byte) error {
	p := s.path(id)
	if err := os.WriteFile(p+".new", b, 0o600); err != nil {
		return err
	}
	return os.Rename(p+".new", p)
}

func (s *files) Release(id uint64) error { return os.Remove(s.path(id)) }

func (s *files) Close() error { return nil }

func (s *files) DiskBytes() (int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += fi.Sys().(*syscall.Stat_t).Blocks * 512
	}
	return n, nil
}
