package webhooks

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// state is the delivery state, in one bbolt file: a bucket per hook, by
// its name, holding three:
//
//   - seen: the ids of the posts the hook has seen in its feed (key: the
//     id), recorded in the transaction that queues their message;
//   - pending: the messages to send, oldest first (key: a sequence number,
//     8 bytes big-endian; value: a message in JSON);
//   - delivered: the messages sent in the last week (key: the same
//     sequence number; value: the message's id and time), for the record.
//
// A message goes from pending to delivered in one transaction, after the
// 2xx: a crash in between sends it again (at least once), and none is lost.
type state struct {
	db   *bolt.DB
	path string
}

var (
	bucketSeen      = []byte("seen")
	bucketPending   = []byte("pending")
	bucketDelivered = []byte("delivered")
)

// keepDelivered is how long the record of a delivered message is kept.
const keepDelivered = 7 * 24 * time.Hour

// message is one POST to a hook: its body, made when the posts became new,
// and where its delivery is.
type message struct {
	ID       string    `json:"id"`     // webhook-id: the same on every attempt
	Format   Format    `json:"format"` // the hook's when it was made
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"` // not to be sent before
	Posts    []string  `json:"posts"`
	Body     []byte    `json:"body"`
}

// openState opens (or makes) the state file. A file that is not a bbolt
// database, or one another process holds, is an error naming it: never
// a fresh state, which would take every post for new.
func openState(path string) (st *state, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("webhooks state %s: %v", path, err)
		}
	}()
	if info, err := os.Stat(path); err == nil && info.Size() == 0 {
		// Not what bbolt leaves, even after a crash: a file emptied by
		// hand or by a failed copy. Made anew, it would take every post
		// for seen and drop the pending messages.
		return nil, errors.New("empty; remove it to start every hook afresh")
	}
	db, err := openChecked(path)
	if err != nil {
		return nil, err
	}
	return &state{db: db, path: path}, nil
}

// openChecked opens a bbolt file and checks every page of it: damage
// found now is an error at start, not a panic while serving. bbolt panics
// on some damage (a truncated file); that is an error here too.
func openChecked(path string) (db *bolt.DB, err error) {
	defer func() {
		if v := recover(); v != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("damaged: %v", v)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, errors.New("held by another process (one sender per state file)")
	}
	if err != nil {
		return nil, err
	}
	err = db.View(func(tx *bolt.Tx) error {
		var first error
		// Read to the end: the check runs on a goroutine of its own.
		for err := range tx.Check() {
			if first == nil {
				first = fmt.Errorf("damaged: %v", err)
			}
		}
		return first
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// hooksBut are the hooks the state holds that are not among hooks.
func (s *state) hooksBut(hooks []Hook) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !slices.ContainsFunc(hooks, func(h Hook) bool { return h.Name == string(name) }) {
				out = append(out, string(name))
			}
			return nil
		})
	})
	return out, err
}

// badMessage is a pending message that cannot be read.
type badMessage struct {
	seq uint64
	err error
}

func (e *badMessage) Error() string { return fmt.Sprintf("pending message %d: %v", e.seq, e.err) }

func (s *state) close() error { return s.db.Close() }

// known says whether the hook has state: false on its first start.
func (s *state) known(hook string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket([]byte(hook)) != nil
		return nil
	})
	return ok, err
}

// unseen are the ids of ids the hook has not seen, in their order.
func (s *state) unseen(hook string, ids []string) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		var seen *bolt.Bucket
		if b := tx.Bucket([]byte(hook)); b != nil {
			seen = b.Bucket(bucketSeen)
		}
		for _, id := range ids {
			if seen == nil || seen.Get([]byte(id)) == nil {
				out = append(out, id)
			}
		}
		return nil
	})
	return out, err
}

// record notes ids as seen by the hook and queues msgs, in one
// transaction.
func (s *state) record(hook string, ids []string, msgs []*message) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := hookBucket(tx, hook)
		if err != nil {
			return err
		}
		seen, pending := b.Bucket(bucketSeen), b.Bucket(bucketPending)
		// In key order: bbolt inserts a sorted run in a few pages; in the
		// feed's order (by date) a first start of 100,000 posts took a
		// minute (BenchmarkStartup).
		ids = slices.Sorted(slices.Values(ids))
		for _, id := range ids {
			if err := seen.Put([]byte(id), nil); err != nil {
				return err
			}
		}
		for _, m := range msgs {
			seq, err := pending.NextSequence()
			if err != nil {
				return err
			}
			if err := putJSON(pending, seq, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// hookBucket is the hook's bucket, made with its three on first use.
func hookBucket(tx *bolt.Tx, hook string) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists([]byte(hook))
	if err != nil {
		return nil, err
	}
	for _, name := range [][]byte{bucketSeen, bucketPending, bucketDelivered} {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// oldest is the hook's oldest pending message and its sequence number;
// nil if none.
func (s *state) oldest(hook string) (uint64, *message, error) {
	var seq uint64
	var m *message
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(hook))
		if b == nil {
			return nil
		}
		k, v := b.Bucket(bucketPending).Cursor().First()
		if k == nil {
			return nil
		}
		seq, m = binary.BigEndian.Uint64(k), &message{}
		if err := json.Unmarshal(v, m); err != nil {
			return &badMessage{seq: seq, err: err}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return seq, m, nil
}

// pending counts the hook's pending messages.
func (s *state) pending(hook string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(hook)); b != nil {
			n = b.Bucket(bucketPending).Stats().KeyN
		}
		return nil
	})
	return n, err
}

// delivered moves message seq from pending to delivered, and forgets the
// delivered ones older than keepDelivered.
func (s *state) delivered(hook string, seq uint64, m *message, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := hookBucket(tx, hook)
		if err != nil {
			return err
		}
		if err := b.Bucket(bucketPending).Delete(seqKey(seq)); err != nil {
			return err
		}
		done := b.Bucket(bucketDelivered)
		c := done.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var old struct{ At time.Time }
			if json.Unmarshal(v, &old) == nil && at.Sub(old.At) < keepDelivered {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return putJSON(done, seq, struct {
			ID string
			At time.Time
		}{m.ID, at})
	})
}

// retry stores m, its attempts and next time updated, as pending seq.
func (s *state) retry(hook string, seq uint64, m *message) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := hookBucket(tx, hook)
		if err != nil {
			return err
		}
		return putJSON(b.Bucket(bucketPending), seq, m)
	})
}

// drop forgets pending message seq.
func (s *state) drop(hook string, seq uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := hookBucket(tx, hook)
		if err != nil {
			return err
		}
		return b.Bucket(bucketPending).Delete(seqKey(seq))
	})
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func putJSON(b *bolt.Bucket, seq uint64, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(seqKey(seq), data)
}
