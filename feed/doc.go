// Package feed is feedd's domain: a Post, parsed from one file's bytes
// (front matter, Markdown, dates, languages, links); the Set of posts and
// the immutable Snapshots it publishes, with the View of each feed; the
// kinds of feed, as one table (Kinds); and the Change each published
// snapshot makes, which consumers follow. It reads no files and serves
// nothing: the watcher brings it posts, render and server make documents
// and responses from its snapshots, and a BodyStore (package bodies)
// keeps the bodies of its posts out of the heap.
package feed
