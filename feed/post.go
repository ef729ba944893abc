package feed

import "time"

// Post is one article, parsed and ready for every feed it belongs to. A Post
// is never changed once parsed: an edit makes a new one.
type Post struct {
	Path      string // relative to the posts directory, "/"-separated
	ID        string // the `code`, or derived from Path when there is none
	HasCode   bool
	Title     string // plain text
	Summary   string // plain text
	Link      string // absolute URL
	Image     string // absolute URL, or ""
	ImageType string // MIME type guessed from Image's extension
	// ImageLength is the image's size in bytes from `image_length`, 0 when
	// unknown; RSS gets an enclosure only when it is known.
	ImageLength int64
	Categories  []Category
	Tags        []string
	Language    string // canonical BCP 47 tag
	Authors     []string
	Date        time.Time
	Updated     time.Time // never before Date
	ModTime     time.Time // the file's modification time
	Draft       bool      // draft: true or published: false
	Warnings    []string  // problems that did not make the post bad
	Body        Body      // the body as HTML, or where it is (see HTML)
}

// Category is a category as a post names it, with its URL slug.
type Category struct {
	Slug string
	Name string
}
