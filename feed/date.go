package feed

import (
	"fmt"
	"strings"
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

// ParseDate reads a post's date in any of the forms SPEC section 1 accepts:
// RFC 3339 with or without fractional seconds, Jekyll's
// "2006-01-02 15:04:05 -0700", and zoneless forms read in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
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
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q (want RFC 3339, \"2006-01-02 15:04:05 -0700\", \"2006-01-02 15:04:05\" or \"2006-01-02\")", orig)
}
