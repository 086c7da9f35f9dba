"""Polyglot and active uploads (ASVS 12.2.1, 12.5.x): a PDF or image that is also a web page or script, or a PDF that
runs, launches or carries something by itself, is refused with a message naming the file; real PDFs (WeasyPrint, its
PDF/A and PDF/UA variants, a file rewritten by pypdf, one that opens at a page) and images are accepted. Every file is
generated here. (A PDF or image with a ZIP archive inside it: tests/core/test_uploads.py.)"""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from weasyprint import HTML

from portal.core import polyglots
from portal.core.uploads import check_upload
from tests.core.test_uploads import refused

ACTIVE = "is a PDF file with active content ({what}: a script, an automatic action, a program to launch or a file"
MARKUP = "is {kind} that also contains a web page or a script, which is not accepted."


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return HTML(string="<h1>Statutes</h1><p>See <a href='https://example.org'>our site</a>.</p>").write_pdf()


def _rewrite(pdf: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _with_object_stream(body: bytes) -> bytes:
    """A small hand-written PDF 1.5 whose catalog sits in a compressed object stream (as WeasyPrint and Word write)."""
    objects = b"1 0 " + body
    stream = zlib.compress(objects)
    parts = [b"%PDF-1.5\n"]
    offsets = []
    offsets.append(len(b"".join(parts)))
    parts.append(
        b"2 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream\nendobj\n"
    )
    parts.append(b"trailer\n<< /Root 1 0 R /Size 3 >>\n%%EOF\n")
    return b"".join(parts)


# --- accepted ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [None, "pdf/a-3b", "pdf/ua-1"])
def test_pdfs_made_by_weasyprint_are_accepted(app, variant):
    data = HTML(string="<h1>Award letter</h1><p>Grant MMD-GF-2026-01-G01</p>").write_pdf(pdf_variant=variant)
    with app.app_context():
        assert check_upload("letter.pdf", data).kind == "pdf"


def test_a_pdf_rewritten_by_another_program_or_opening_at_a_page_is_accepted(app, pdf):
    def open_at_first_page(writer):
        page = writer.pages[0].indirect_reference
        writer._root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])

    with app.app_context():
        assert check_upload("statutes.pdf", _rewrite(pdf, lambda w: None)).kind == "pdf"
        assert check_upload("statutes.pdf", _rewrite(pdf, open_at_first_page)).kind == "pdf"


def test_images_with_ordinary_metadata_are_accepted(app):
    info = PngInfo()
    info.add_text("Comment", "Logo of the association, 2026")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 90, 40)).save(buffer, "PNG", pnginfo=info)
    with app.app_context():
        assert check_upload("logo.png", buffer.getvalue()).kind == "png"


# --- refused: also a web page or a script ---------------------------------------------------------------------------


def test_a_pdf_that_is_also_a_web_page_is_refused(app, pdf):
    hand_made = b"%PDF-1.4\n<html><body><script>fetch('/account')</script></body></html>\n%%EOF\n"
    appended = pdf + b"\n<script src=https://evil.example/x.js></script>\n"
    with app.app_context():
        for data in (hand_made, appended):
            message = refused("cv.pdf", data)
            assert message.startswith("“cv.pdf” " + MARKUP.format(kind="a PDF file")), message
            assert "Save it again from the program that made it and upload the new copy." in message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_image_that_is_also_a_web_page_is_refused(app, fmt):
    buffer = io.BytesIO()
    image = Image.new("RGB", (8, 6), (200, 30, 40))
    if fmt == "PNG":
        info = PngInfo()
        info.add_text("Comment", "<html><body onload=alert(1)>")
        image.save(buffer, fmt, pnginfo=info)
        name, kind = "logo.png", "a PNG image"
    else:
        image.save(buffer, fmt, comment=b"<SCRIPT>alert(document.cookie)</SCRIPT>")
        name, kind = "photo.jpg", "a JPEG image"
    with app.app_context():
        assert refused(name, buffer.getvalue()).startswith(f"“{name}” " + MARKUP.format(kind=kind))


# --- refused: PDFs that act by themselves ---------------------------------------------------------------------------


def _open_action(action):
    return lambda writer: writer._root_object.__setitem__(NameObject("/OpenAction"), action)


def _launch_link(writer):
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(20)]),
            NameObject("/A"): _action("/Launch", F=TextStringObject("cmd.exe")),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _page_opened_runs_a_script(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS=TextStringObject("app.alert(1)"))}
    )


@pytest.mark.parametrize(
    ("case", "change", "what"),
    [
        (
            "JavaScript when opened",
            _open_action(_action("/JavaScript", JS=TextStringObject("app.alert(1)"))),
            "JavaScript",
        ),
        (
            "a website opened by itself",
            _open_action(_action("/URI", URI=TextStringObject("https://x.example"))),
            "OpenAction",
        ),
        ("a program launched from a link", _launch_link, "Launch"),
        ("a file embedded", lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00"), "EmbeddedFile"),
        ("a script when a page opens", _page_opened_runs_a_script, "JavaScript"),
    ],
)
def test_a_pdf_with_active_content_is_refused(app, pdf, case, change, what):
    with app.app_context():
        message = refused("budget.pdf", _rewrite(pdf, change))
    assert message.startswith("“budget.pdf” " + ACTIVE.format(what=what)), (case, message)
    assert "Print it to a new PDF (“Print to PDF”) and upload that copy." in message


def test_active_content_is_found_inside_compressed_object_streams_and_escaped_names(app):
    hidden = _with_object_stream(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /JS (app.alert(1)) >> >>")
    with app.app_context():
        assert refused("cv.pdf", hidden).startswith("“cv.pdf” " + ACTIVE.format(what="JavaScript"))
    assert polyglots.pdf_active_content(_with_object_stream(b"<< /Type /Catalog /Pages 3 0 R >>")) is None


def test_object_streams_too_large_to_check_are_refused(app, monkeypatch):
    monkeypatch.setattr(polyglots, "_MAX_INFLATED", 1000)
    bomb = _with_object_stream(b"<< /Type /Catalog >>" + b" " * 5000)
    with app.app_context():
        assert refused("cv.pdf", bomb) == (
            "“cv.pdf” is a PDF file too complex to be checked safely. Print it to a new PDF (“Print to PDF”) and "
            "upload that copy."
        )
