"""portal.core.uploads: real small files of each kind, built here (WeasyPrint for the PDF, Pillow for the images,
the ZIP members of Word, Excel and OpenDocument files written out as those programs write them), and the ways a file
can lie about what it is."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile

import pytest
from PIL import Image
from weasyprint import HTML
from werkzeug.datastructures import FileStorage

from portal.core import storage, uploads
from portal.core.errors import RuleError
from portal.core.uploads import UploadError, check_upload, store_upload

MB = 1024 * 1024

# --- real files ------------------------------------------------------------------------------------------------------

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/{part}" ContentType="{type}"/>
</Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="{part}"/></Relationships>"""
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCUMENT_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>
<w:t>Statutes of the Association</w:t></w:r></w:p></w:body></w:document>"""
WORKBOOK_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Budget" sheetId="1" r:id="rId1"/></sheets></workbook>"""
SHEET_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>Staff</t></is></c><c r="B1"><v>12500.50</v></c></row>
</sheetData></worksheet>"""
ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>{extra}
</manifest:manifest>"""
ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:text><text:p>Letter of support</text:p></office:text></office:body></office:document-content>"""


def make_zip(members: list[tuple[str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            stored = name == "mimetype"  # OpenDocument: first, and not compressed
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_members(main_type: str = WORD_MAIN) -> list[tuple[str, bytes | str]]:
    return [
        ("[Content_Types].xml", CONTENT_TYPES.format(part="word/document.xml", type=main_type)),
        ("_rels/.rels", RELS.format(part="word/document.xml")),
        ("word/document.xml", DOCUMENT_XML),
    ]


def make_docx(extra: list[tuple[str, bytes | str]] = (), main_type: str = WORD_MAIN) -> bytes:
    return make_zip(docx_members(main_type) + list(extra))


def make_xlsx() -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", CONTENT_TYPES.format(part="xl/workbook.xml", type=EXCEL_MAIN)),
            ("_rels/.rels", RELS.format(part="xl/workbook.xml")),
            ("xl/workbook.xml", WORKBOOK_XML),
            ("xl/worksheets/sheet1.xml", SHEET_XML),
        ]
    )


def make_odt(manifest_extra: str = "") -> bytes:
    return make_zip(
        [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("META-INF/manifest.xml", ODT_MANIFEST.format(extra=manifest_extra)),
            ("content.xml", ODT_CONTENT),
        ]
    )


def make_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 40)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return HTML(string="<h1>Curriculum vitae</h1><p>Amina Diallo</p>").write_pdf()


@pytest.fixture(scope="module")
def files(pdf) -> dict[str, bytes]:
    return {
        "pdf": pdf,
        "docx": make_docx(),
        "xlsx": make_xlsx(),
        "odt": make_odt(),
        "png": make_image("PNG"),
        "jpeg": make_image("JPEG"),
    }


def refused(filename, data, **kwargs) -> str:
    with pytest.raises(UploadError) as caught:
        check_upload(filename, data, **kwargs)
    return str(caught.value)


# --- what is accepted ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "filename", "content_type", "extension"),
    [
        ("pdf", "cv.pdf", "application/pdf", ".pdf"),
        ("docx", "statutes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
        ("xlsx", "budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        ("odt", "letter.odt", "application/vnd.oasis.opendocument.text", ".odt"),
        ("png", "logo.png", "image/png", ".png"),
        ("jpeg", "photo.jpg", "image/jpeg", ".jpg"),
        ("jpeg", "photo.JPEG", "image/jpeg", ".jpg"),
        ("pdf", "CV Final.PDF", "application/pdf", ".pdf"),
    ],
)
def test_each_kind_is_recognised_from_its_content(app, files, kind, filename, content_type, extension):
    data = files[kind]
    with app.app_context():
        info = check_upload(filename, data)
    assert info.kind == kind
    assert info.content_type == content_type
    assert info.extension == extension
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.filename == filename
    assert info.data == data
    assert "data" not in repr(info)


def test_the_kinds_are_named_constants():
    named = {uploads.PDF, uploads.DOCX, uploads.XLSX, uploads.ODT, uploads.PNG, uploads.JPEG}
    assert named == set(uploads.DEFAULT_KINDS)
    assert named == set(uploads.KINDS)
    documents, images = uploads.DOCUMENT_KINDS, uploads.IMAGE_KINDS
    assert documents == {"pdf", "docx", "odt"}
    assert images == {"png", "jpeg"}


def test_office_files_are_recognised_whatever_the_order_of_their_members(app):
    # Some programs write [Content_Types].xml last; libmagic then no longer recognises the file, the members do.
    data = make_zip(list(reversed(docx_members())))
    with app.app_context():
        assert check_upload("statutes.docx", data).kind == "docx"


def test_a_stream_is_read_like_bytes(app, files):
    with app.app_context():
        info = check_upload("cv.pdf", io.BytesIO(files["pdf"]))
        upload = FileStorage(stream=io.BytesIO(files["png"]), filename="logo.png", content_type="application/pdf")
        from_form = check_upload(upload.filename, upload.stream)
    assert info.data == files["pdf"]
    # What the browser claims (content_type) counts for nothing.
    assert from_form.content_type == "image/png"


def test_a_name_without_extension_gets_the_one_of_its_content(app, files):
    with app.app_context():
        assert check_upload("statutes", files["pdf"]).filename == "statutes.pdf"
        assert check_upload("", files["docx"]).filename == "file.docx"
        assert check_upload(None, files["jpeg"]).filename == "file.jpg"


def test_allowed_narrows_the_kinds(app, files):
    with app.app_context():
        message = refused("logo.png", files["png"], allowed=uploads.DOCUMENT_KINDS, field="statutes")
        assert message == (
            "“logo.png” is a PNG image, which is not accepted here. "
            "Accepted: PDF (.pdf), Word (.docx), OpenDocument text (.odt)."
        )
        assert check_upload("cv.pdf", files["pdf"], allowed={uploads.PDF}).kind == "pdf"
        with pytest.raises(ValueError, match="unknown kinds"):
            check_upload("cv.pdf", files["pdf"], allowed={"exe"})


def test_the_error_is_a_rule_error_tied_to_the_field(app):
    with app.app_context(), pytest.raises(RuleError) as caught:
        check_upload("cv.pdf", b"", field="cv")
    assert isinstance(caught.value, UploadError)
    assert caught.value.errors == [("cv", "“cv.pdf” is empty.")]


# --- lying names -----------------------------------------------------------------------------------------------------

WINDOWS_PROGRAM = b"MZ\x90\x00\x03" + b"\x00" * 55 + struct.pack("<I", 64) + b"PE\x00\x00" + b"\x00" * 400
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><script>alert(document.cookie)</script></head><body>CV</body></html>\n"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("cv.pdf", "png", "“cv.pdf” is not a PDF file: its content is a PNG image."),
        ("cv.pdf", "jpeg", "“cv.pdf” is not a PDF file: its content is a JPEG image."),
        ("statutes.docx", "pdf", "“statutes.docx” is not a Word document (.docx): its content is a PDF file."),
        (
            "budget.xlsx",
            "docx",
            "“budget.xlsx” is not an Excel spreadsheet (.xlsx): its content is a Word document (.docx).",
        ),
        (
            "letter.docx",
            "odt",
            "“letter.docx” is not a Word document (.docx): its content is an OpenDocument text (.odt).",
        ),
        (
            "letter.odt",
            "docx",
            "“letter.odt” is not an OpenDocument text (.odt): its content is a Word document (.docx).",
        ),
        ("photo.png", "jpeg", "“photo.png” is not a PNG image: its content is a JPEG image."),
        ("cv.pdf", WINDOWS_PROGRAM, "“cv.pdf” is not a PDF file: its content is a Windows program."),
        ("cv.pdf", HTML_PAGE, "“cv.pdf” is not a PDF file: its content is a web page (HTML)."),
        ("cv.pdf", b"Just some words.\n", "“cv.pdf” is not a PDF file: its content is plain text."),
        (
            "budget.xlsx",
            make_zip([("a.txt", "x")]),
            "“budget.xlsx” is not an Excel spreadsheet (.xlsx): its content is a ZIP archive.",
        ),
        (
            "statutes.docx",
            make_docx(main_type=WORD_MACRO_MAIN),
            "“statutes.docx” is not a Word document (.docx): its content is a Word document with macros (.docm).",
        ),
    ],
)
def test_a_name_that_says_another_kind_is_refused(app, files, filename, content, message):
    data = files[content] if isinstance(content, str) else content
    with app.app_context():
        assert refused(filename, data) == message


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "setup.exe",
            WINDOWS_PROGRAM,
            "“setup.exe” is a Windows program, which is not accepted here. Accepted: PDF (.pdf), Word (.docx), "
            "Excel (.xlsx), OpenDocument text (.odt), PNG image (.png), JPEG image (.jpg).",
        ),
        ("page.html", HTML_PAGE, "“page.html” is a web page (HTML), which is not accepted here."),
        ("files.zip", make_zip([("cv.pdf", "%PDF-")]), "“files.zip” is a ZIP archive, which is not accepted here."),
        ("scan.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "“scan.gif” is a GIF image, which is not accepted here."),
    ],
)
def test_other_kinds_are_refused(app, filename, data, message):
    with app.app_context():
        assert refused(filename, data).startswith(message)


def test_a_known_content_under_a_foreign_extension_must_be_renamed(app, files):
    with app.app_context():
        assert refused("cv.pdf.exe", files["pdf"]) == (
            "The name of “cv.pdf.exe” does not match its content, a PDF file: rename it to end in .pdf."
        )
        assert "rename it to end in .jpg" in refused("photo.heic", files["jpeg"])


# --- polyglots: one file, two kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pdf", "png", "jpeg"])
def test_a_file_that_is_also_a_zip_archive_is_refused(app, files, kind):
    polyglot = files[kind] + make_zip([("payload.html", HTML_PAGE)])
    name = {"pdf": "cv.pdf", "png": "logo.png", "jpeg": "photo.jpg"}[kind]
    with app.app_context():
        message = refused(name, polyglot)
    assert message.startswith(f"“{name}” is {uploads.KINDS[kind].label} with a ZIP archive hidden inside it")


def test_a_pdf_header_in_front_of_a_word_document_is_a_pdf(app, files):
    with app.app_context():
        assert refused("statutes.docx", b"%PDF-1.7\n" + files["docx"]) == (
            "“statutes.docx” is not a Word document (.docx): its content is a PDF file."
        )


# --- archives that would harm ----------------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused(app):
    bomb = make_docx([("word/media/image1.png", b"\x00" * (40 * MB))])
    assert len(bomb) < 100 * 1024  # 40 MB of zeros squeezed into ~40 KB
    with app.app_context():
        message = refused("statutes.docx", bomb)
    assert message == "“statutes.docx” would unpack to 40 MB, far more than it weighs; it is refused as unsafe."


def test_the_total_unpacked_size_is_capped(app, monkeypatch, files):
    monkeypatch.setattr(uploads, "ZIP_MAX_TOTAL_BYTES", 500)
    with app.app_context():
        assert "is refused as unsafe" in refused("statutes.docx", files["docx"])


def test_too_many_members_are_refused(app):
    many = make_docx([(f"word/media/{n}.xml", "<x/>") for n in range(uploads.ZIP_MAX_MEMBERS)])
    with app.app_context():
        assert refused("statutes.docx", many) == (
            "“statutes.docx” holds too many parts to be checked safely (2003; the limit is 2000)."
        )


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Rewrite the uncompressed size that the local header and the central directory declare for `member`."""
    patched = bytearray(data)
    name = member.encode()
    local = patched.find(b"PK\x03\x04")
    while local != -1:
        (name_length,) = struct.unpack_from("<H", patched, local + 26)
        if patched[local + 30 : local + 30 + name_length] == name:
            struct.pack_into("<I", patched, local + 22, declared)
        local = patched.find(b"PK\x03\x04", local + 4)
    central = patched.find(b"PK\x01\x02")
    while central != -1:
        (name_length,) = struct.unpack_from("<H", patched, central + 28)
        if patched[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<I", patched, central + 24, declared)
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


def test_an_archive_that_lies_about_its_sizes_is_refused(app):
    # Declares 1 KB, holds 2 MB: zipfile stops at the declared size, the CRC does not match, the file is refused.
    honest = make_docx([("word/media/big.bin", b"\x00" * (2 * MB))])
    liar = _lie_about_size(honest, "word/media/big.bin", 1024)
    with app.app_context():
        assert refused("statutes.docx", liar) == (
            "“statutes.docx” is damaged or incomplete and cannot be opened as a Word document (.docx). "
            "Save it again and upload the new copy."
        )


def test_a_truncated_office_file_is_damaged(app, files):
    with app.app_context():
        assert refused("statutes.docx", files["docx"][: len(files["docx"]) // 2]).startswith(
            "“statutes.docx” is damaged or incomplete"
        )


def test_a_corrupted_member_is_damaged(app):
    data = bytearray(make_docx([("word/media/notes.xml", "<notes>" + "lorem ipsum " * 2000 + "</notes>")]))
    start = data.find(b"word/media/notes.xml") + len("word/media/notes.xml") + 40
    data[start : start + 8] = b"\xff" * 8
    with app.app_context():
        assert refused("statutes.docx", bytes(data)).startswith("“statutes.docx” is damaged or incomplete")


def _encrypted_flag(data: bytes) -> bytes:
    """Set the 'encrypted' bit on every member (what a ZIP tool's password does)."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.find(signature)
        while at != -1:
            (flags,) = struct.unpack_from("<H", patched, at + offset)
            struct.pack_into("<H", patched, at + offset, flags | 0x1)
            at = patched.find(signature, at + 4)
    return bytes(patched)


def test_a_password_protected_file_is_refused(app, files):
    message = "“statutes.docx” is protected by a password. Remove the password, save it and upload it again."
    odt_message = "“letter.odt” is protected by a password. Remove the password, save it and upload it again."
    encrypted_odt = make_odt(
        '\n<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/></manifest:file-entry>'
    )
    with app.app_context():
        assert refused("statutes.docx", _encrypted_flag(files["docx"])) == message
        assert refused("letter.odt", encrypted_odt) == odt_message


def test_macros_are_refused(app):
    with app.app_context():
        assert refused("statutes.docx", make_docx([("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")])) == (
            "“statutes.docx” contains macros, which are not accepted. Save it as a Word document (.docx) without "
            "macros and upload it again."
        )


# --- empty, too large ------------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused(app):
    with app.app_context():
        assert refused("cv.pdf", b"") == "“cv.pdf” is empty."
        assert refused("cv.pdf", io.BytesIO(b"")) == "“cv.pdf” is empty."


def test_a_file_over_the_limit_is_refused_with_both_sizes(app, pdf):
    assert app.config["UPLOAD_MAX_BYTES"] == 10 * MB
    big = pdf + b"%" * (int(12.4 * MB) - len(pdf))
    with app.app_context():
        assert refused("statutes.pdf", big) == "“statutes.pdf” is 12.4 MB; the limit is 10 MB."
        # From a stream, only the limit is kept in memory; the rest is counted for the message.
        assert refused("statutes.pdf", io.BytesIO(big)) == "“statutes.pdf” is 12.4 MB; the limit is 10 MB."
        assert refused("cv.pdf", pdf, max_bytes=1000) == (
            f"“cv.pdf” is {uploads.format_size(len(pdf))}; the limit is 1,000 bytes."
        )


def test_a_file_just_over_the_limit_does_not_read_as_the_limit(app, pdf):
    with app.app_context():
        message = refused("cv.pdf", pdf + b"%" * (10 * MB + 1 - len(pdf)))
    assert message == "“cv.pdf” is 10.000001 MB; the limit is 10 MB."
    with app.app_context():
        assert check_upload("cv.pdf", pdf + b"%" * (10 * MB - len(pdf))).size == 10 * MB


def test_sizes_are_written_for_people(app):
    with app.app_context():
        assert uploads.format_size(1) == "1 byte"
        assert uploads.format_size(850) == "850 bytes"
        assert uploads.format_size(420 * 1024) == "420 KB"
        assert uploads.format_size(int(12.4 * MB)) == "12.4 MB"
        assert uploads.format_size(1536 * MB) == "1,536 MB"


# --- names -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\cv.pdf", "cv.pdf"),
        ("C:\\Users\\Amina\\Desktop\\cv.pdf", "cv.pdf"),
        ("/home/amina/cv.pdf", "cv.pdf"),
        ("cv\x00.pdf", "cv.pdf"),
        ("cv\r\n.pdf", "cv.pdf"),
        ("cv\u200b.pdf", "cv.pdf"),
        ("  Curriculum   vitae .pdf  ", "Curriculum vitae .pdf"),
        ("...cv.pdf...", "cv.pdf"),
        ("Ame\u0301lie.pdf", "Amélie.pdf"),
        ("r\u00e9sum\u00e9 \u2014 2026.pdf", "résumé — 2026.pdf"),
    ],
)
def test_names_are_cleaned_for_display(app, files, given, shown):
    with app.app_context():
        assert check_upload(given, files["pdf"]).filename == shown


def test_direction_characters_cannot_disguise_a_program(app):
    # U+202E (right-to-left override) shows "invoice\u202efdp.exe" as "invoiceexe.pdf".
    with app.app_context():
        message = refused("invoice\u202efdp.exe", WINDOWS_PROGRAM)
    assert message.startswith("“invoicefdp.exe” is a Windows program, which is not accepted here.")


def test_long_names_are_shortened_keeping_the_extension(app, files):
    with app.app_context():
        info = check_upload("x" * 300 + ".pdf", files["pdf"])
        no_extension = check_upload("y" * 300, files["pdf"])
    assert info.filename == "x" * 146 + ".pdf"
    assert len(no_extension.filename) == uploads.MAX_NAME_LENGTH
    assert no_extension.filename.endswith("y.pdf")


# --- storing ---------------------------------------------------------------------------------------------------------


def test_store_upload_keeps_the_checked_file_under_a_random_key(any_storage, files):
    info = check_upload("../../statutes.docx", files["docx"])
    key = store_upload(info, files["docx"], "proposals")
    assert key.startswith("proposals/")
    assert key.endswith(".docx")
    assert "statutes" not in key
    assert storage.get(key) == files["docx"]
    assert store_upload(info, prefix="proposals") != key  # each upload its own key; `data` defaults to the checked
    with pytest.raises(ValueError, match="other content"):
        store_upload(info, files["docx"] + b"tampered", "proposals")


def test_accept_attribute_lists_extensions_and_types():
    assert uploads.accept_attribute({uploads.PDF, uploads.JPEG}) == ".pdf,application/pdf,.jpg,.jpeg,image/jpeg"
