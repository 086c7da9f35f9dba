"""Checking an uploaded file before it is stored.

check_upload() says what a file really is from its content, never from its name, and refuses it with a message
naming the file when:
- it is empty, or larger than the limit (UPLOAD_MAX_BYTES unless the caller gives another);
- its content is not one of the kinds accepted here (KINDS; DEFAULT_KINDS unless the caller narrows them);
- its name says another kind than its content (an HTML page or a program renamed .pdf, a PNG named .pdf, a PDF
  named .docx);
- a PDF or an image carries a ZIP archive as well (a polyglot: one file that opens as two kinds), or a web page or
  script, or a PDF carries actions that run by themselves (JavaScript, launch, embedded files: portal.core.polyglots);
- a Word, Excel or OpenDocument file (ZIP archives inside) is damaged, protected by a password, holds macros, or would
  unpack to far more than it weighs (a zip bomb).

What the content is comes from libmagic (python-magic: the `file` command's database, the best-kept one there is).
The ZIP-based office formats are told apart by their members, not by libmagic, whose answer depends on the order
in which the program that made them wrote the members: that part, and the zip-bomb limits, are ours.

A name a person gave is only ever shown: `UploadInfo.filename` is cleaned for display (no folders, no control or
direction characters, a bounded length); files are stored under random keys (store_upload, portal.core.storage)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

import magic
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.core import i18n, polyglots, storage
from portal.core.errors import RuleError

# The kinds of file the portal accepts.
PDF = "pdf"
DOCX = "docx"
XLSX = "xlsx"
ODT = "odt"
PNG = "png"
JPEG = "jpeg"


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str  # the canonical MIME type, sent when the file is served
    extensions: tuple[str, ...]  # the names it may carry; the first is the one stored files get
    label: object  # "a PDF file", for messages
    short: object  # "PDF (.pdf)", for lists of accepted kinds


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(PDF, "application/pdf", (".pdf",), _l("a PDF file"), _l("PDF (.pdf)")),
        Kind(
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            _l("a Word document (.docx)"),
            _l("Word (.docx)"),
        ),
        Kind(
            XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            _l("an Excel spreadsheet (.xlsx)"),
            _l("Excel (.xlsx)"),
        ),
        Kind(
            ODT,
            "application/vnd.oasis.opendocument.text",
            (".odt",),
            _l("an OpenDocument text (.odt)"),
            _l("OpenDocument text (.odt)"),
        ),
        Kind(PNG, "image/png", (".png",), _l("a PNG image"), _l("PNG image (.png)")),
        Kind(JPEG, "image/jpeg", (".jpg", ".jpeg"), _l("a JPEG image"), _l("JPEG image (.jpg)")),
    )
}
DEFAULT_KINDS = frozenset(KINDS)
DOCUMENT_KINDS = frozenset({PDF, DOCX, ODT})
SPREADSHEET_KINDS = frozenset({XLSX})
IMAGE_KINDS = frozenset({PNG, JPEG})
_BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
_ZIP_KINDS = frozenset({DOCX, XLSX, ODT})

# What other contents are called in messages ("its content is a web page (HTML)"), by the MIME type libmagic or the
# ZIP members give. Anything else is named by its MIME type.
_DESCRIPTIONS = {
    "text/html": _l("a web page (HTML)"),
    "application/xhtml+xml": _l("a web page (HTML)"),
    "text/xml": _l("an XML file"),
    "application/xml": _l("an XML file"),
    "text/plain": _l("plain text"),
    "text/csv": _l("a CSV table"),
    "text/rtf": _l("an RTF document"),
    "application/x-dosexec": _l("a Windows program"),
    "application/vnd.microsoft.portable-executable": _l("a Windows program"),
    "application/x-msdownload": _l("a Windows program"),
    "application/x-msi": _l("a Windows installer"),
    "application/x-executable": _l("a program"),
    "application/x-pie-executable": _l("a program"),
    "application/x-sharedlib": _l("a program"),
    "application/x-mach-binary": _l("a program"),
    "text/x-shellscript": _l("a script"),
    "text/x-script.python": _l("a script"),
    "text/javascript": _l("a script"),
    "application/javascript": _l("a script"),
    "image/gif": _l("a GIF image"),
    "image/svg+xml": _l("an SVG image"),
    "image/webp": _l("a WebP image"),
    "image/tiff": _l("a TIFF image"),
    "image/bmp": _l("a BMP image"),
    "image/heic": _l("a HEIC image"),
    "image/heif": _l("a HEIC image"),
    "application/zip": _l("a ZIP archive"),
    "application/x-rar": _l("a compressed archive"),
    "application/x-7z-compressed": _l("a compressed archive"),
    "application/gzip": _l("a compressed archive"),
    "application/x-tar": _l("a compressed archive"),
    "application/msword": _l("an old-format Word document (.doc)"),
    "application/vnd.ms-excel": _l("an old-format Excel spreadsheet (.xls)"),
    "application/vnd.ms-powerpoint": _l("an old-format PowerPoint presentation (.ppt)"),
    "application/x-ole-storage": _l("an old-format Office file"),
    "application/encrypted": _l("a file protected by a password"),
    "application/x-damaged-zip": _l("a damaged ZIP archive"),
    "application/vnd.ms-word.document.macroEnabled.12": _l("a Word document with macros (.docm)"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template": _l("a Word template (.dotx)"),
    "application/vnd.ms-excel.sheet.macroEnabled.12": _l("an Excel spreadsheet with macros (.xlsm)"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _l("a PowerPoint presentation"),
    "application/vnd.oasis.opendocument.spreadsheet": _l("an OpenDocument spreadsheet (.ods)"),
    "application/vnd.oasis.opendocument.presentation": _l("an OpenDocument presentation (.odp)"),
    "application/octet-stream": _l("data of an unknown kind"),
}

# The main part of each Office Open XML package, as [Content_Types].xml declares it, and the folder it lives in.
_OOXML_MAIN_PARTS = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (DOCX, "word/"),
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (XLSX, "xl/"),
    b"application/vnd.ms-word.document.macroenabled.main+xml": (
        "application/vnd.ms-word.document.macroEnabled.12",
        "word/",
    ),
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        "word/",
    ),
    b"application/vnd.ms-excel.sheet.macroenabled.main+xml": ("application/vnd.ms-excel.sheet.macroEnabled.12", "xl/"),
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ppt/",
    ),
}

# Zip-bomb limits. An honest 10 MB office file holds tens or hundreds of members and unpacks to at most a few dozen
# times its size (XML compresses well); a bomb unpacks to thousands of times its size.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100  # of the whole archive, and of each member larger than ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
_SMALL_MEMBER = 1024 * 1024  # [Content_Types].xml, mimetype, manifest.xml: read only when declared this small

MAX_NAME_LENGTH = 150
_SNIFF_BYTES = 1024 * 1024
_ZIP_SIGNATURE = b"PK\x03\x04"
_DAMAGED_ZIP = "application/x-damaged-zip"  # our own marker, never sent anywhere
_ENCRYPTED = "application/encrypted"  # libmagic's type for password-protected Office files; ours for ZIP ones


class UploadError(RuleError):
    pass


@dataclass(frozen=True)
class UploadInfo:
    kind: str  # one of KINDS
    content_type: str  # canonical MIME type of the kind
    extension: str  # canonical extension of the kind, with its dot (".pdf", ".jpg"); the stored file gets it
    size: int
    sha256: str
    filename: str  # the name to show and to offer on download; never a path
    data: bytes = dataclasses.field(repr=False, compare=False)  # the content that was checked


def check_upload(
    filename: str | None,
    data: bytes | BinaryIO,
    *,
    allowed: set[str] | frozenset[str] = DEFAULT_KINDS,
    max_bytes: int | None = None,
    field: str | None = None,
) -> UploadInfo:
    """Check an uploaded file and describe it, or raise UploadError (tied to the form `field`, if given).

    `data` is the content as bytes or a binary stream (a werkzeug FileStorage's `.stream`), read here at most to the
    limit. `max_bytes` defaults to the app's UPLOAD_MAX_BYTES."""
    unknown = set(allowed) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of file: {sorted(unknown)}")
    limit = current_app.config["UPLOAD_MAX_BYTES"] if max_bytes is None else max_bytes
    name = display_name(filename)
    shown = name or _("(no name)")

    def refuse(message: str) -> UploadError:
        return UploadError(message, field=field)

    content, size = _read(data, limit)
    if size == 0:
        raise refuse(_("“%(name)s” is empty.", name=shown))
    if size > limit:
        raise refuse(_too_large(shown, size, limit))

    found, found_type, archive = _identify(content)
    extension = _extension(name)
    named = _BY_EXTENSION.get(extension)
    description = KINDS[found].label if found else _describe(found_type)
    if named is not None and named.name != found:
        if found_type == _DAMAGED_ZIP and named.name in _ZIP_KINDS:
            raise refuse(_damaged(shown, named))
        if found_type == _ENCRYPTED:
            raise refuse(_password(shown))
        raise refuse(
            _(
                "“%(name)s” is not %(expected)s: its content is %(actual)s.",
                name=shown,
                expected=named.label,
                actual=description,
            )
        )
    if found is None or found not in allowed:
        raise refuse(
            _(
                "“%(name)s” is %(actual)s, which is not accepted here. Accepted: %(kinds)s.",
                name=shown,
                actual=description,
                kinds=accepted_list(allowed),
            )
        )
    kind = KINDS[found]
    if extension and named is None:
        raise refuse(
            _(
                "The name of “%(name)s” does not match its content, %(actual)s: rename it to end in %(extension)s.",
                name=shown,
                actual=description,
                extension=kind.extensions[0],
            )
        )
    if archive is not None:
        _check_archive(archive, kind, size, shown, refuse)
    elif _hides_an_archive(content):
        raise refuse(
            _(
                "“%(name)s” is %(kind)s with a ZIP archive hidden inside it, which is not accepted. "
                "Save it again from the program that made it.",
                name=shown,
                kind=kind.label,
            )
        )
    if problem := polyglots.refusal(kind.name, kind.label, content, shown):  # HTML or script inside; PDF actions
        raise refuse(problem)
    if not name:
        name = "file" + kind.extensions[0]
    elif not extension:
        name = _shorten(name, MAX_NAME_LENGTH - len(kind.extensions[0])) + kind.extensions[0]
    return UploadInfo(
        kind=kind.name,
        content_type=kind.content_type,
        extension=kind.extensions[0],
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=name,
        data=content,
    )


def store_upload(info: UploadInfo, data: bytes | None = None, prefix: str = "uploads") -> str:
    """Store a checked file under a new random key (`<prefix>/<random><extension>`) and return the key.

    `data`, when given, must be the content that was checked. The file is written at once, before the caller's
    transaction commits: if that transaction rolls back, the caller should storage.delete(key) the orphan."""
    content = info.data if data is None else bytes(data)
    if len(content) != info.size or hashlib.sha256(content).hexdigest() != info.sha256:
        raise ValueError("store_upload() was given other content than the file that was checked")
    key = storage.new_key(prefix, info.extension)
    storage.put(key, content)
    return key


def accepted_list(allowed: set[str] | frozenset[str] = DEFAULT_KINDS) -> str:
    """The accepted kinds for hints and messages, in the order of KINDS: `PDF (.pdf), Word (.docx)`."""
    return ", ".join(str(k.short) for k in KINDS.values() if k.name in allowed)


def accept_attribute(allowed: set[str] | frozenset[str] = DEFAULT_KINDS) -> str:
    """The value of an <input type=file accept=...>: extensions and MIME types (a hint to the browser, not a check)."""
    values: list[str] = []
    for kind in KINDS.values():
        if kind.name in allowed:
            values.extend(kind.extensions)
            values.append(kind.content_type)
    return ",".join(values)


def format_size(size: int) -> str:
    """A size for people, in the reader's language: "850 bytes", "420 KB", "12.4 MB" (1 KB = 1,024 bytes)."""
    return _format_size(size, 1)


def display_name(filename: str | None) -> str:
    """The name to show for an uploaded file: the last part of what the browser sent (some send a whole path),
    without control or direction-changing characters (which can make "exe.pdf" look like "fdp.exe"), spaces
    collapsed, no leading or trailing dots, at most MAX_NAME_LENGTH characters (the extension kept). May be ""."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    # Categories C*: control, format (bidi overrides, zero-width), surrogates, private use, unassigned.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = _shorten(stem, MAX_NAME_LENGTH - len(ext) - 1) + "." + ext
        else:
            name = _shorten(name, MAX_NAME_LENGTH)
    return name


# --- reading ---------------------------------------------------------------------------------------------------------


def _read(data: bytes | BinaryIO, limit: int) -> tuple[bytes, int]:
    """The content (at most limit + 1 bytes of it) and the real size."""
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
        return content, len(content)
    content = data.read(limit + 1)
    size = len(content)
    if size > limit:  # count the rest, for the message; a request body is already bounded by MAX_CONTENT_LENGTH
        while chunk := data.read(storage.CHUNK_SIZE):
            size += len(chunk)
    return content, size


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def _shorten(text: str, length: int) -> str:
    return text[: max(length, 1)].rstrip(" .")


# --- what the content is ---------------------------------------------------------------------------------------------


def _identify(content: bytes) -> tuple[str | None, str, zipfile.ZipFile | None]:
    """(one of KINDS or None, the MIME type found, the open archive for ZIP-based kinds)."""
    if content.startswith(_ZIP_SIGNATURE):
        return _identify_zip(content)
    mime = magic.from_buffer(content[:_SNIFF_BYTES], mime=True)
    for kind in KINDS.values():
        if kind.name not in _ZIP_KINDS and mime == kind.content_type:
            return kind.name, mime, None
    return None, mime, None


def _identify_zip(content: bytes) -> tuple[str | None, str, zipfile.ZipFile | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        if any(member.flag_bits & 0x1 for member in archive.infolist()):
            return None, _ENCRYPTED, None
        if "mimetype" in names:  # OpenDocument: the member `mimetype` holds the type
            mimetype = _small_member(archive, "mimetype").decode("ascii", "replace").strip()
            if mimetype == KINDS[ODT].content_type and "content.xml" in names:
                return ODT, mimetype, archive
            return None, mimetype or "application/zip", None
        if "[Content_Types].xml" in names:  # Office Open XML: the main part's type, and the folder it lives in
            declared = _small_member(archive, "[Content_Types].xml").lower()
            for part_type, (kind_or_type, folder) in _OOXML_MAIN_PARTS.items():
                if part_type in declared and any(n.startswith(folder) for n in names):
                    if kind_or_type in KINDS:
                        return kind_or_type, KINDS[kind_or_type].content_type, archive
                    return None, kind_or_type, None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error, OSError):
        return None, _DAMAGED_ZIP, None
    return None, "application/zip", None


def _small_member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _SMALL_MEMBER:
        return b""
    return archive.read(info)  # zipfile stops at the declared size and checks the CRC


def _describe(mime: str) -> str:
    return str(_DESCRIPTIONS.get(mime) or _("a file of another kind (%(type)s)", type=mime))


def _hides_an_archive(content: bytes) -> bool:
    """True when the bytes also open as a ZIP archive with members (ZIP readers look for the archive's directory at
    the end, so anything may come before it). A chance match of the end marker alone does not count."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
        return False


def _check_archive(archive: zipfile.ZipFile, kind: Kind, size: int, shown: str, refuse) -> None:
    """Members, sizes, passwords, macros, and every member read through to check it is whole."""
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise refuse(
            _(
                "“%(name)s” holds too many parts to be checked safely (%(count)s; the limit is %(limit)s).",
                name=shown,
                count=len(members),
                limit=ZIP_MAX_MEMBERS,
            )
        )
    # OpenDocument encrypts the members' content, not the archive: the manifest says so.
    if (
        kind.name == ODT
        and "META-INF/manifest.xml" in archive.namelist()
        and b"encryption-data" in _small_member(archive, "META-INF/manifest.xml")
    ):
        raise refuse(_password(shown))
    if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise refuse(
            _(
                "“%(name)s” contains macros, which are not accepted. Save it as %(kind)s without macros and upload "
                "it again.",
                name=shown,
                kind=kind.label,
            )
        )
    total = sum(m.file_size for m in members)
    bomb = total > ZIP_MAX_TOTAL_BYTES or total > ZIP_MAX_RATIO * size
    bomb = bomb or any(
        m.file_size > ZIP_RATIO_FLOOR and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1) for m in members
    )
    if bomb:
        raise refuse(
            _(
                "“%(name)s” would unpack to %(size)s, far more than it weighs; it is refused as unsafe.",
                name=shown,
                size=format_size(total),
            )
        )
    damaged = _damaged(shown, kind)
    if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
        raise refuse(damaged)
    try:
        for member in members:
            # zipfile never yields more than the declared size and checks each member's CRC at its end, so this
            # reads at most `total` bytes (bounded above) and finds any damaged member.
            with archive.open(member) as fh:
                while fh.read(storage.CHUNK_SIZE):
                    pass
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error, OSError):
        raise refuse(damaged) from None


def _damaged(shown: str, kind: Kind) -> str:
    return _(
        "“%(name)s” is damaged or incomplete and cannot be opened as %(kind)s. Save it again and upload the new copy.",
        name=shown,
        kind=kind.label,
    )


def _password(shown: str) -> str:
    return _("“%(name)s” is protected by a password. Remove the password, save it and upload it again.", name=shown)


# --- sizes -----------------------------------------------------------------------------------------------------------


def _format_size(size: int, places: int) -> str:
    locale = i18n.locale_code()
    pattern = "#,##0." + "#" * places
    if size < 1024:
        return ngettext("%(count)s byte", "%(count)s bytes", size, count=format_decimal(size, "#,##0", locale=locale))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(Decimal(size) / 1024, pattern, locale=locale))
    return _("%(size)s MB", size=format_decimal(Decimal(size) / (1024 * 1024), pattern, locale=locale))


def _too_large(shown: str, size: int, limit: int) -> str:
    # Enough decimals that the file's size never reads the same as the limit ("10 MB; the limit is 10 MB").
    limit_text = format_size(limit)
    size_text = format_size(size)
    places = 1
    while size_text == limit_text and places < 6:
        places += 1
        size_text = _format_size(size, places)
    return _("“%(name)s” is %(size)s; the limit is %(limit)s.", name=shown, size=size_text, limit=limit_text)
