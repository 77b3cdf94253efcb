"""Deployment packages: the .zip files that CreateFunction and UpdateFunctionCode take."""
from __future__ import annotations

import io
import os
import textwrap
import zipfile
from collections.abc import Mapping


def zip_code(source: str | Mapping[str, str | bytes], filename: str = "lambda_function.py") -> bytes:
    """A .zip package from source text, or from a mapping of file names to contents.

    >>> import zipfile, io
    >>> zipfile.ZipFile(io.BytesIO(zip_code("def handler(e, c): return 1"))).namelist()
    ['lambda_function.py']
    """
    files = {filename: source} if isinstance(source, str) else dict(source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if isinstance(content, str):
                content = textwrap.dedent(content)
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name == "bootstrap" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def zip_directory(path: str) -> bytes:
    """A .zip package of everything under ``path`` (file modes kept)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, _dirs, names in os.walk(path):
            for name in sorted(names):
                full = os.path.join(root, name)
                archive.write(full, os.path.relpath(full, path))
    return buffer.getvalue()
