"""Uploaded documents: what a file's bytes say it is, whatever its name claims."""

import zipfile

# Leading bytes of the formats documents come in.
_MAGIC = {
    b"%PDF-": "pdf",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "ole",  # a legacy Office file (.doc, .xls)
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def content_kind(upload) -> str | None:
    """pdf, ole, jpeg, png, docx, xlsx, or None; the upload is left at its start."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    return "xlsx" if "xl/workbook.xml" in names else None
