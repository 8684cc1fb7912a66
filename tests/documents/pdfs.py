"""PDFs generated for tests: valid ones as common tools write them, and every kind the
attachment check must refuse. Nothing here is a stored fixture file, so each case says in
code exactly what makes it acceptable or not.

Other tests may import these (e.g. `valid_pdf()` for an upload that must pass).
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, String

# ------------------------------------------------------------------ building blocks


def _save(pdf: pikepdf.Pdf, **kwargs: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def _new_with_text(text: str = "laowu", pages: int = 1) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    for i in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        label = f"{text} {i + 1}".replace("\\", "").replace("(", "").replace(")", "")
        page.obj.Contents = pdf.make_stream(f"BT /F1 24 Tf 72 720 Td ({label}) Tj ET".encode())
    return pdf


def raw_pdf(objects: Sequence[bytes], *, root: int = 1, header: bytes = b"%PDF-1.7") -> bytes:
    """A PDF written byte by byte: object i+1 is `objects[i]`, with a correct xref table.

    For what pikepdf will not write: objects nothing refers to, names spelled with #
    escapes, names stored as indirect objects.
    """
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _raw_one_page(*, catalog_extra: bytes = b"", page_extra: bytes = b"", extra: Sequence[bytes] = ()) -> bytes:
    """Catalog (1), pages (2), page (3), then `extra` as objects 4, 5, ..."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> " + page_extra + b" >>",
            *extra,
        ]
    )


# ------------------------------------------------------------------ valid


def valid_pdf(text: str = "laowu", *, pages: int = 1) -> bytes:
    """A small valid PDF with text, different for each `text`."""
    return _save(_new_with_text(text, pages))


def xref_stream_pdf(text: str = "laowu") -> bytes:
    """PDF 1.5+ layout: objects in compressed object streams, cross-reference stream."""
    return _save(_new_with_text(text, 3), object_stream_mode=pikepdf.ObjectStreamMode.generate)


def linearized_pdf(text: str = "laowu") -> bytes:
    """“Fast web view”, as many scanners and Acrobat write."""
    return _save(_new_with_text(text, 3), linearize=True)


def incremental_update_pdf() -> bytes:
    """A file edited in place (Acrobat's “save”): an update section appended after %%EOF."""
    base = valid_pdf("before edit")
    with pikepdf.open(io.BytesIO(base)) as pdf:
        info_number = len(pdf.objects) + 1
        startxref = int(base.rsplit(b"startxref", 1)[1].split()[0])
    body = b"%d 0 obj\n<< /Title (after edit) >>\nendobj\n" % info_number
    offset = len(base)
    xref = offset + len(body)
    update = (
        body
        + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (info_number, offset)
        + b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /Prev %d >>\n" % (info_number + 1, info_number, startxref)
        + b"startxref\n%d\n%%%%EOF\n" % xref
    )
    return base + update


def stale_xref_pdf() -> bytes:
    """startxref a few bytes off: qpdf repairs it with warnings, and every viewer opens it."""
    data = valid_pdf("stale xref")
    head, tail = data.rsplit(b"startxref\n", 1)
    offset, rest = tail.split(b"\n", 1)
    return head + b"startxref\n" + str(int(offset) + 7).encode() + b"\n" + rest


def pillow_pdf() -> bytes:
    """A “scan”: a JPEG page written by Pillow, like phone and scanner apps produce."""
    from PIL import Image

    image = Image.new("RGB", (800, 1100), (250, 250, 245))
    for x in range(100, 700):
        image.putpixel((x, 300), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=100.0)
    return out.getvalue()


def pypdf_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "pypdf"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def weasyprint_pdf() -> bytes:
    """HTML printed to PDF, with embedded Chinese fonts (the same engine as “打印为PDF” in browsers' lineage)."""
    import weasyprint

    html = "<h1>营业执照</h1><p>苏州相城鑫达建筑劳务有限公司</p><p><a href='https://example.com/'>链接</a></p>"
    return weasyprint.HTML(string=html).write_pdf()


def padded_pdf(size: int) -> bytes:
    """A valid PDF of at least `size` bytes: one page showing a large incompressible image."""
    pdf = _new_with_text("padded")
    width = 1000
    height = max(1, size // width + 1)
    image = pdf.make_stream(
        os.urandom(width * height),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=width,
        Height=height,
        ColorSpace=Name.DeviceGray,
        BitsPerComponent=8,
    )
    page = pdf.pages[0]
    page.obj.Resources.XObject = Dictionary(Im1=image)
    page.obj.Contents = pdf.make_stream(b"q 500 0 0 700 40 60 cm /Im1 Do Q")
    return _save(pdf, compress_streams=False)


# ------------------------------------------------------------------ not PDF at all


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


TEXT_BYTES = "这是一个文本文件，只是扩展名改成了.pdf。\n".encode()


def pdf_not_at_start() -> bytes:
    """Junk before the header: some viewers tolerate it, polyglot files rely on it."""
    return b"<html><!-- -->\n" + valid_pdf("shifted")


# ------------------------------------------------------------------ broken


def truncated_pdf(fraction: float, data: bytes | None = None) -> bytes:
    data = data if data is not None else valid_pdf("truncated", pages=5)
    return data[: int(len(data) * fraction)]


def no_pages_pdf() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def garbage_after_header() -> bytes:
    return b"%PDF-1.4\n" + os.urandom(4096) + b"\n%%EOF\n"


# ------------------------------------------------------------------ encrypted


def encrypted_pdf(*, user: str = "123456", owner: str = "owner-secret") -> bytes:
    """Needs a password to open (user password set)."""
    return _save(_new_with_text("secret"), encryption=pikepdf.Encryption(owner=owner, user=user, R=6))


def owner_only_encrypted_pdf() -> bytes:
    """Opens without a password but is encrypted to restrict printing and copying."""
    allow = pikepdf.Permissions(print_lowres=False, print_highres=False, extract=False)
    return _save(
        _new_with_text("restricted"), encryption=pikepdf.Encryption(owner="owner-secret", user="", allow=allow)
    )


# ------------------------------------------------------------------ active content


def javascript_open_action_pdf() -> bytes:
    pdf = _new_with_text("js open action")
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('hi');"))
    return _save(pdf)


def javascript_annotation_aa_pdf() -> bytes:
    """A script on a link annotation's /AA (mouse enter), inside compressed object streams so
    the bytes of the file never show "/JavaScript"."""
    pdf = _new_with_text("js annotation")
    action = Dictionary(S=Name.JavaScript, JS=String("this.exportDataObject({cName: 'x'});"))
    annot = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=Array([72, 700, 300, 730]),
        Border=Array([0, 0, 0]),
        AA=Dictionary(E=action),
    )
    pdf.pages[0].obj.Annots = Array([annot])
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def javascript_name_tree_pdf() -> bytes:
    """Document-level scripts: /Names /JavaScript, run when the file opens."""
    pdf = _new_with_text("js names")
    script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert(1);")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), script])))
    return _save(pdf)


def javascript_page_aa_pdf() -> bytes:
    """A script run when the page opens (/AA /O on the page), held in a stream (/JS n 0 R)."""
    pdf = _new_with_text("js page")
    js = pdf.make_stream(b"app.alert(1);")
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=js))
    return _save(pdf)


def javascript_unreferenced_pdf() -> bytes:
    """A script object in the xref table that nothing in the document tree refers to."""
    return _raw_one_page(extra=[b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"])


def javascript_escaped_names_pdf() -> bytes:
    """/Java#53cript and /J#53: the same names, spelled so a byte search misses them."""
    return _raw_one_page(catalog_extra=b"/OpenAction << /S /Java#53cript /J#53 (app.alert\\(1\\)) >>")


def javascript_indirect_name_pdf() -> bytes:
    """/S 4 0 R where object 4 is the name /JavaScript."""
    return _raw_one_page(catalog_extra=b"/OpenAction << /S 4 0 R /Next 5 0 R >>", extra=[b"/JavaScript", b"<< >>"])


def launch_action_pdf() -> bytes:
    pdf = _new_with_text("launch")
    pdf.Root.OpenAction = Dictionary(
        S=Name.Launch, F=String("cmd.exe"), Win=Dictionary(F=String("cmd.exe"), P=String("/c calc"))
    )
    return _save(pdf)


def launch_in_annotation_pdf() -> bytes:
    pdf = _new_with_text("launch annotation")
    annot = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=Array([72, 700, 300, 730]),
        A=Dictionary(S=Name.Launch, F=String("payload.exe")),
    )
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def embedded_file_pdf() -> bytes:
    """An attachment in the document's /EmbeddedFiles name tree."""
    pdf = _new_with_text("embedded")
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(
        pdf, b"MZ\x90\x00 not really", mime_type="application/octet-stream"
    )
    return _save(pdf)


def file_attachment_annotation_pdf() -> bytes:
    """A file attached to a page through a /FileAttachment annotation (the paper-clip icon)."""
    pdf = _new_with_text("file annotation")
    spec = pikepdf.AttachedFileSpec(pdf, b"hidden payload", filename="payload.txt")
    annot = Dictionary(
        Type=Name.Annot,
        Subtype=Name.FileAttachment,
        Rect=Array([72, 700, 90, 720]),
        FS=spec.obj,
    )
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])
    return _save(pdf)


def embedded_file_stream_only_pdf() -> bytes:
    """An /EmbeddedFile stream left in the file with its file specification removed."""
    return _raw_one_page(extra=[b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"])


# ------------------------------------------------------------------ object streams, written by hand


def object_stream_pdf(compressed: Sequence[bytes] = (), *, encoding: str = "flate", padding: int = 0) -> bytes:
    """A PDF 1.5 file whose catalog refers (/Extra) to objects stored in an object stream.

    Objects 1-3 are the catalog, page tree and page; 4 is the object stream holding
    `compressed` as objects 5, 6, ...; the cross-reference stream comes last.
    `encoding` is "flate", "none" or "hex" (ASCIIHexDecode); `padding` adds that many
    spaces to the object stream, which Flate shrinks to almost nothing: a decompression bomb.
    """
    first = 5
    extra = b" ".join(b"%d 0 R" % (first + i) for i in range(len(compressed)))
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R /Extra [" + extra + b"] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
    ]
    header = bytearray()
    body = bytearray()
    for i, obj in enumerate(compressed):
        header += b"%d %d " % (first + i, len(body))
        body += obj + b"\n"
    content = bytes(header) + bytes(body)
    if encoding == "flate":
        packer = zlib.compressobj(9)
        parts = [packer.compress(content)]
        spaces = b" " * (1024 * 1024)
        left = padding
        while left > 0:
            parts.append(packer.compress(spaces[: min(left, len(spaces))]))
            left -= len(spaces)
        parts.append(packer.flush())
        data, filter_ = b"".join(parts), b"/Filter /FlateDecode "
    elif encoding == "hex":
        data, filter_ = (content + b" " * padding).hex().encode() + b">", b"/Filter /ASCIIHexDecode "
    else:
        data, filter_ = content + b" " * padding, b""
    objstm = b"<< /Type /ObjStm /N %d /First %d %s/Length %d >>\nstream\n%s\nendstream" % (
        len(compressed),
        len(header),
        filter_,
        len(data),
        data,
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate([*plain, objstm], 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref_number = first + len(compressed)
    xref_offset = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00" for offset in offsets]
    rows += [b"\x02" + (4).to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(len(compressed))]
    rows.append(b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00\x00")
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (xref_number, xref_number + 1, len(table), table)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


# ------------------------------------------------------------------ hostile: bombs and polyglots


def many_pages_pdf(pages: int, *, declared: int | None = None, fanout: int = 0) -> bytes:
    """`pages` blank pages sharing one content stream, written byte by byte (20,000 pages
    take a fraction of a second to build and about 1MB). `declared` is the root's /Count
    (a lying file understates it); `fanout` > 0 puts the pages under intermediate nodes
    of that many kids each instead of one flat /Kids array."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Length 0 >>\nstream\n\nendstream"]
    page_numbers = []
    for _ in range(pages):
        objects.append(b"")  # parent filled in below
        page_numbers.append(len(objects))
    parents: dict[int, int] = {}
    if fanout:
        groups = [page_numbers[i : i + fanout] for i in range(0, len(page_numbers), fanout)]
        top_kids = []
        for group in groups:
            objects.append(b"")
            node = len(objects)
            top_kids.append(node)
            kids = b" ".join(b"%d 0 R" % n for n in group)
            objects[node - 1] = b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>" % (kids, len(group))
            parents.update(dict.fromkeys(group, node))
    else:
        top_kids = page_numbers
        parents = dict.fromkeys(page_numbers, 2)
    for n in page_numbers:
        objects[n - 1] = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>" % parents[n]
    count = pages if declared is None else declared
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % n for n in top_kids), count)
    return raw_pdf(objects)


def zip_bytes(name: str = "payload.exe", content: bytes = b"MZ not really a program") -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


HTML_PAYLOAD = b"<html><body><script>fetch('/accounts/').then(r => r.text())</script></body></html>"


def pdf_then_zip() -> bytes:
    """A PDF with a ZIP appended: PDF viewers read the start, unzip reads the end."""
    return valid_pdf("zip polyglot") + zip_bytes()


def pdf_then_html() -> bytes:
    """A PDF with a web page appended after %%EOF."""
    return valid_pdf("html polyglot") + b"\n" + HTML_PAYLOAD + b"\n"


def pdf_then_junk() -> bytes:
    """Bytes after %%EOF that are neither whitespace nor a recognisable file."""
    return valid_pdf("junk") + b"\nsome trailing bytes\n"


def pdf_then_whitespace() -> bytes:
    """Whitespace (and NULs some writers pad with) after %%EOF: harmless, accepted."""
    return valid_pdf("whitespace") + b"\r\n\x00\x00  \n"


def _stream_object(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def zip_entry_inside_pdf(name: str = "payload.exe") -> bytes:
    """A ZIP's local file entry alone (no central directory, so no end record to find) in a
    stream: carving tools and some unpackers still extract it."""
    entry = zip_bytes(name=name)
    return _raw_one_page(extra=[_stream_object(entry[: entry.index(b"PK\x01\x02")])])


def zip_inside_pdf() -> bytes:
    """A ZIP stored uncompressed in a stream nothing refers to, then the PDF's own trailer:
    nothing follows %%EOF, and a ZIP reader still finds the archive."""
    return _raw_one_page(extra=[_stream_object(zip_bytes())])


def html_inside_pdf() -> bytes:
    """A web page stored in a stream of the PDF: a browser sniffing the bytes may render it."""
    return _raw_one_page(extra=[_stream_object(HTML_PAYLOAD)])


def doctype_inside_pdf() -> bytes:
    return _raw_one_page(extra=[_stream_object(b"<!DOCTYPE html>\n<p>hi</p>")])
