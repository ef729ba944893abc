#!/usr/bin/python3
"""Reads feeds with Python's feedparser (Debian's python3-feedparser) for
feedd's conformance test.

Input on stdin: a JSON list of {"file": path, "url": the URL it was fetched
from, "type": the Content-Type it was served with}. Output on stdout: a JSON list with, for each document, whether
feedparser found it ill-formed (bozo) and why, its version, its self link,
language, and for each entry its id, link, title, author names, language
(its own, else the feed's) and whether its dates parsed."""
import json
import sys

import feedparser

results = []
for doc in json.load(sys.stdin):
    with open(doc["file"], "rb") as f:
        d = feedparser.parse(f.read(), response_headers={"content-location": doc["url"], "content-type": doc["type"]})
    feed = d.get("feed", {})
    self_links = [l.get("href") for l in feed.get("links", []) if l.get("rel") == "self"]
    results.append({
        "file": doc["file"],
        "bozo": bool(d.get("bozo")),
        "bozo_exception": repr(d.get("bozo_exception")) if d.get("bozo") else "",
        "version": d.get("version", ""),
        "self": self_links,
        "language": feed.get("language", ""),
        "title": feed.get("title", ""),
        "updated": feed.get("updated_parsed") is not None,
        "entries": [{
            "id": e.get("id", ""),
            "link": e.get("link", ""),
            "title": e.get("title", ""),
            "published": e.get("published_parsed") is not None,
            "updated": e.get("updated_parsed") is not None,
            "content": bool(e.get("content") or e.get("summary")),
            "authors": [a.get("name", "") for a in e.get("authors", [])],
            # RSS: the item's dc:language; Atom: the entry's xml:lang, which
            # feedparser gives its text constructs.
            "language": e.get("language") or e.get("title_detail", {}).get("language") or feed.get("language", ""),
        } for e in d.get("entries", [])],
    })
json.dump(results, sys.stdout)
