package parse

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// dateLayouts are the accepted forms of `date` and `updated`, tried in order.
// Forms with a zone keep it; the others are read in the configured zone.
var dateLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339Nano, true},
	{"2006-01-02 15:04:05 -0700", true},
	{"2006-01-02 15:04:05 -07:00", true},
	{"2006-01-02 15:04:05.999999999 -0700", true},
	{"2006-01-02 15:04:05.999999999Z07:00", true},
	{"2006-01-02 15:04:05", false},
	{"2006-01-02T15:04:05", false},
	{"2006-01-02T15:04:05.999999999", false},
	{"2006-01-02 15:04", false},
	{"2006-01-02", false},
}

// dateForms names the forms in errors, as the README lists them.
const dateForms = `"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04" or "2006-01-02"`

// Date reads a post's date in any of the forms the README lists:
// RFC 3339 with or without fractional seconds, Jekyll's
// "2006-01-02 15:04:05 -0700", and zoneless forms read in loc.
func Date(s string, loc *time.Location) (time.Time, error) {
	orig := strings.TrimSpace(s)
	if orig == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	// RFC 3339 allows a lower-case "t" and "z"; every layout is ASCII.
	s = strings.ToUpper(orig)
	for _, f := range dateLayouts {
		var t time.Time
		var err error
		if f.zoned {
			t, err = time.Parse(f.layout, s)
		} else {
			t, err = time.ParseInLocation(f.layout, s, loc)
		}
		if err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("date %q out of range", orig)
			}
			if f.zoned {
				t = shareZone(t)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q (want RFC 3339, %s)", orig, dateForms)
}

// zones holds one Location for each zone offset dates are written with.
// time.Parse makes a new Location for every date whose offset is neither
// UTC's nor the local zone's: three objects, held by the post for as long as
// it is served, for every date of an archive written in, say, +07:00.
var zones sync.Map // zoneKey -> *time.Location

type zoneKey struct {
	name   string
	offset int
}

// shareZone returns t in the shared Location of its zone, the same instant
// written the same way.
func shareZone(t time.Time) time.Time {
	loc := t.Location()
	if loc == time.UTC || loc == time.Local {
		return t
	}
	name, offset := t.Zone()
	k := zoneKey{name, offset}
	shared, ok := zones.Load(k)
	if !ok {
		shared, _ = zones.LoadOrStore(k, time.FixedZone(name, offset))
	}
	return t.In(shared.(*time.Location))
}
