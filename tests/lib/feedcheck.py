#!/usr/bin/python3
"""feedcheck.py: parses a feed (the bytes on stdin) with Debian's python3-feedparser, checks the
required elements of its format (argv[1]: rss, atom or json) on the document itself, and prints
one JSON object for tests/http/reach-feeds.test.mjs:

  bozo        feedparser's bozo flag (1: not well-formed, or not what it claims to be)
  bozo_reason why, when bozo is 1
  version     what feedparser recognised ("rss20", "atom10", "json11")
  missing     the required elements the document lacks, as paths ("channel/title",
              "item[2]/guid", "entry[0]/updated", "items[1].url"); [] when none
  title       the feed's title, as feedparser reads it
  items       [{id, title, link, content, published, updated, authors}] as feedparser reads
              them (content: every text of the item joined, the summary included)

JSON Feed: Debian's feedparser (6.0.10) does not read JSON Feed (its JSON parser came in 6.1),
so a JSON feed is parsed with Python's json module instead (bozo: 1 when that fails or the
document is not an object) and its items are read as the spec names them.

Run with /usr/bin/python3: Debian's packages are installed for the system's Python.
"""
import json
import sys
import xml.etree.ElementTree as ET

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"


def missing_rss(doc):
    root = ET.fromstring(doc)
    missing = []
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        return ["rss/channel"]
    for name in ("title", "link", "description"):
        if not (channel.findtext(name) or "").strip():
            missing.append("channel/" + name)
    for i, item in enumerate(channel.findall("item")):
        for name in ("title", "link", "guid", "pubDate"):
            if not (item.findtext(name) or "").strip():
                missing.append("item[%d]/%s" % (i, name))
    return missing


def missing_atom(doc):
    root = ET.fromstring(doc)
    if root.tag != ATOM + "feed":
        return ["feed"]
    missing = []
    for name in ("id", "title", "updated"):
        if not (root.findtext(ATOM + name) or "").strip():
            missing.append("feed/" + name)
    feed_author = root.find(ATOM + "author") is not None
    for i, entry in enumerate(root.findall(ATOM + "entry")):
        for name in ("id", "title", "updated"):
            if not (entry.findtext(ATOM + name) or "").strip():
                missing.append("entry[%d]/%s" % (i, name))
        if entry.find(ATOM + "link") is None or not entry.find(ATOM + "link").get("href"):
            missing.append("entry[%d]/link" % i)
        if not feed_author and entry.find(ATOM + "author") is None:
            missing.append("entry[%d]/author" % i)
    return missing


def missing_json(doc):
    feed = json.loads(doc)
    missing = []
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        missing.append("version")
    if not feed.get("title"):
        missing.append("title")
    if not isinstance(feed.get("items"), list):
        return missing + ["items"]
    for i, item in enumerate(feed["items"]):
        for name in ("id", "url"):
            if not isinstance(item.get(name), str) or not item[name]:
                missing.append("items[%d].%s" % (i, name))
        if "content_html" not in item and "content_text" not in item:
            missing.append("items[%d].content" % i)
    return missing


def json_feed(doc):
    """The JSON feed doc read as feedparser would report it: (bozo, reason, version, title,
    items)."""
    try:
        feed = json.loads(doc)
    except ValueError as e:
        return 1, str(e), "", None, []
    if not isinstance(feed, dict):
        return 1, "not an object", "", None, []
    version = {"https://jsonfeed.org/version/1.1": "json11"}.get(feed.get("version"), "")
    items = [{
        "id": item.get("id"),
        "title": item.get("title"),
        "link": item.get("url"),
        "content": "\n".join([item.get("summary", ""), item.get("content_html", ""),
                              item.get("content_text", "")]),
        "published": item.get("date_published"),
        "updated": item.get("date_modified"),
        "authors": [a.get("name") for a in item.get("authors", []) if a.get("name")],
    } for item in feed.get("items", [])]
    return 0, "", version, feed.get("title"), items


def main():
    kind = sys.argv[1]
    doc = sys.stdin.buffer.read()
    if kind == "json":
        bozo, reason, version, title, items = json_feed(doc)
        try:
            missing = missing_json(doc)
        except ValueError as e:
            missing = ["document: %s" % e]
        print(json.dumps({"bozo": bozo, "bozo_reason": reason, "version": version,
                          "missing": missing, "title": title, "items": items}))
        return
    parsed = feedparser.parse(doc)
    try:
        missing = {"rss": missing_rss, "atom": missing_atom}[kind](doc)
    except (ET.ParseError, ValueError) as e:
        missing = ["document: %s" % e]
    items = []
    for entry in parsed.entries:
        texts = [entry.get("summary", "")] + [c.get("value", "") for c in entry.get("content", [])]
        items.append({
            "id": entry.get("id"),
            "title": entry.get("title"),
            "link": entry.get("link"),
            "content": "\n".join(texts),
            "published": entry.get("published"),
            "updated": entry.get("updated"),
            "authors": [a.get("name") for a in entry.get("authors", []) if a.get("name")],
        })
    print(json.dumps({
        "bozo": int(bool(parsed.bozo)),
        "bozo_reason": str(parsed.get("bozo_exception", "")),
        "version": parsed.version,
        "missing": missing,
        "title": parsed.feed.get("title"),
        "items": items,
    }))


if __name__ == "__main__":
    main()
