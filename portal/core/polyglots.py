"""Files that are two things at once (polyglots), and PDFs that act on their own.

portal.core.uploads already refuses a PDF or image that is also a ZIP archive (a "GIFAR", a PDF with an archive
appended). This module finds the two other ways an upload can carry something a reader did not ask for:

- `markup_in(content)`: a PDF or image that also holds a web page or a script (`<html`, `<script`, ...), which a
  browser that guesses the type from the content, or a viewer that renders HTML, would run;
- `pdf_active_content(content)`: a PDF with actions that run or open something by themselves: JavaScript, a program
  to launch, embedded files, rich media, XFA forms, an action run when the file is opened (`/OpenAction` with an
  action, not the usual "open at page 1" destination) or additional actions (`/AA`) that run a script.

PDF names may be written with `#xx` escapes (`/J#61vaScript`) and since PDF 1.5 the dictionaries may sit inside
compressed object streams, so names are unescaped and object streams (`/Type /ObjStm`) inflated, with a bounded
output, before looking. Page contents, fonts and images are not inflated: they hold no actions, and their bytes could
contain anything by chance. Legitimate PDFs (word processors, "Print to PDF", WeasyPrint, PDF/A with its XMP
metadata) carry none of these."""

from __future__ import annotations

import re
import zlib

# Markup that makes a file also a web page or a script. XML processing instructions and XMP metadata (`<?xpacket`,
# `<x:xmpmeta`, `<rdf:RDF`) are not among them: PDF/A files must carry them.
_MARKUP = re.compile(rb"<\s*(?:script|html|body|iframe|object|embed|svg|meta\s+http-equiv)[\s/>]", re.IGNORECASE)

# PDF names that run, launch or carry something (ISO 32000-1, 12.6 actions, 7.11 embedded files, 12.7.8 XFA).
_ACTIVE_NAMES = {
    b"JavaScript": "JavaScript",
    b"JS": "JavaScript",
    b"Launch": "Launch",
    b"EmbeddedFile": "EmbeddedFile",
    b"EmbeddedFiles": "EmbeddedFile",
    b"RichMedia": "RichMedia",
    b"XFA": "XFA",
    b"ImportData": "ImportData",
    b"SubmitForm": "SubmitForm",
}
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# /OpenAction followed by a dictionary (an action) rather than an array (a destination); an indirect reference is
# looked up. /AA (additional actions: on opening a page, on a field) always holds actions.
_OPEN_ACTION = re.compile(rb"/OpenAction\s*(<<|\[|(\d+)\s+(\d+)\s+R)")
_STREAM = re.compile(rb"<<(?:(?!>>\s*stream).){0,2000}?/Type\s*/ObjStm(?:(?!stream).){0,2000}?stream\r?\n", re.DOTALL)
_MAX_INFLATED = 64 * 1024 * 1024  # in all; beyond it the file is refused as unreadable rather than checked partly


class TooDeepError(ValueError):
    """Object streams that inflate to more than _MAX_INFLATED: not checked, so not accepted."""


def markup_in(content: bytes) -> bool:
    return _MARKUP.search(content) is not None


def _unescape(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


def _object_streams(content: bytes) -> list[bytes]:
    """The inflated content of every object stream (FlateDecode; others are kept as they are)."""
    inflated, total = [], 0
    for match in _STREAM.finditer(content):
        start = match.end()
        end = content.find(b"endstream", start)
        if end < 0:
            continue
        raw = content[start:end]
        if b"/FlateDecode" in match.group(0) or b"/Fl" in match.group(0):
            decompressor = zlib.decompressobj()
            try:
                data = decompressor.decompress(raw, _MAX_INFLATED - total + 1)
            except zlib.error:
                data = raw
        else:
            data = raw
        total += len(data)
        if total > _MAX_INFLATED:
            raise TooDeepError("object streams too large to check")
        inflated.append(data)
    return inflated


def _without_streams(content: bytes) -> bytes:
    """The PDF's objects without the bytes of their streams (compressed data could spell a name by chance)."""
    parts, position = [], 0
    for match in re.finditer(rb"(?<![A-Za-z])stream\r?\n", content):
        if match.start() < position:
            continue
        parts.append(content[position : match.start()])
        end = content.find(b"endstream", match.end())
        if end < 0:
            position = len(content)
            break
        position = end + len(b"endstream")
    parts.append(content[position:])
    return b"\n".join(parts)


def _names(text: bytes) -> set[bytes]:
    return {_unescape(name) for name in _NAME.findall(text)}


def _opens_with_an_action(text: bytes, everything: bytes) -> bool:
    for match in _OPEN_ACTION.finditer(text):
        if match.group(1) == b"<<":
            return True
        if match.group(2) is not None:
            obj = re.search(rb"(?<!\d)" + match.group(2) + rb"\s+" + match.group(3) + rb"\s+obj\s*(<<|\[)", everything)
            if obj is not None and obj.group(1) == b"<<":
                return True
    return False


def pdf_active_content(content: bytes) -> str | None:
    """The first kind of active content found in a PDF ("JavaScript", "Launch", "EmbeddedFile", "OpenAction",
    "AdditionalActions", ...), or None. Raises TooDeepError when the object streams are too large to check."""
    texts = [_without_streams(content), *_object_streams(content)]
    everything = b"\n".join(texts)
    for text in texts:
        names = _names(text)
        for name, label in _ACTIVE_NAMES.items():
            if name in names:
                return label
        if b"AA" in names:
            return "AdditionalActions"
        if b"OpenAction" in names and _opens_with_an_action(_unescape(text), everything):
            return "OpenAction"
    return None


def refusal(kind: str, label, content: bytes, shown: str) -> str | None:
    """The message refusing an upload of `kind` ("pdf", "png", "jpeg"; others are not looked at here), or None."""
    from flask_babel import gettext as _

    if kind not in ("pdf", "png", "jpeg"):
        return None
    if markup_in(content):
        return _(
            "“%(name)s” is %(kind)s that also contains a web page or a script, which is not accepted. "
            "Save it again from the program that made it and upload the new copy.",
            name=shown,
            kind=label,
        )
    if kind != "pdf":
        return None
    try:
        found = pdf_active_content(content)
    except TooDeepError:
        return _(
            "“%(name)s” is a PDF file too complex to be checked safely. Print it to a new PDF (“Print to PDF”) and "
            "upload that copy.",
            name=shown,
        )
    if found is None:
        return None
    return _(
        "“%(name)s” is a PDF file with active content (%(what)s: a script, an automatic action, a program to "
        "launch or a file embedded in it), which is not accepted. Print it to a new PDF (“Print to PDF”) and "
        "upload that copy.",
        name=shown,
        what=found,
    )
