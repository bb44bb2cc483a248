"""Receiving a multipart/form-data upload as a stream.

The file part is written to a spool file chunk by chunk while it is hashed and counted, and the
request is refused with 413 as soon as it passes the limit: an upload is never held whole in
memory, and a client that lies about (or omits) Content-Length cannot fill the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from service.api.problems import BodyTooLarge, Problem

MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 20

# Called with the text fields sent before the file part, before a byte of the file is
# written: it raises a Problem to refuse the upload, or returns a lower byte limit (or None).
Authorize = Callable[[dict[str, str]], int | None]


@dataclass
class ReceivedUpload:
    path: str
    size: int
    sha256: str
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def too_large(max_bytes: int) -> Problem:
    return Problem(
        413,
        "upload-too-large",
        f"The upload exceeds the limit of {max_bytes} bytes.",
        max_bytes=max_bytes,
    )


class _Receiver:
    def __init__(
        self,
        file_field: str,
        max_bytes: int,
        spool_dir: str | None,
        authorize: Authorize | None = None,
    ):
        self.file_field = file_field
        self.authorize = authorize
        self.max_bytes = max_bytes
        self.spool_dir = spool_dir
        self.fields: dict[str, str] = {}
        self.file = None
        self.size = 0
        self.hasher = hashlib.sha256()
        self.filename: str | None = None
        self._reset_part()

    def _reset_part(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.header_field = b""
        self.header_value = b""
        self.part_name: str | None = None
        self.part_is_file = False
        self.part_value = bytearray()

    # python-multipart callbacks -----------------------------------------------------------
    def on_part_begin(self) -> None:
        self._reset_part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        self.part_name = name.decode("utf-8", "replace") if name is not None else None
        filename = options.get(b"filename")
        if filename is not None and self.part_name == self.file_field:
            if self.file is not None:
                raise Problem(400, "multiple-files", "Send exactly one file per upload.")
            if self.authorize is not None:
                allowed = self.authorize(dict(self.fields))
                if allowed is not None:
                    self.max_bytes = min(self.max_bytes, allowed)
            self.part_is_file = True
            self.filename = os.path.basename(filename.decode("utf-8", "replace"))[:255]
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish()
                dir=self.spool_dir, prefix="upload-", suffix=".part", delete=False
            )
        elif len(self.fields) >= MAX_FIELDS:
            raise Problem(400, "too-many-fields", "The form has too many fields.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part_is_file:
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.hasher.update(chunk)
            self.file.write(chunk)
        else:
            self.part_value += chunk
            if len(self.part_value) > MAX_FIELD_BYTES:
                raise Problem(400, "field-too-large", "A form field is too large.")

    def on_part_end(self) -> None:
        if not self.part_is_file and self.part_name:
            self.fields[self.part_name] = self.part_value.decode("utf-8", "replace")


async def receive_upload(
    request: Request,
    *,
    file_field: str,
    max_bytes: int,
    spool_dir: str | None = None,
    authorize: Authorize | None = None,
) -> ReceivedUpload:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise Problem(
            415,
            "multipart-required",
            f"Send the file as multipart/form-data in the field {file_field!r}.",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 1024 * 1024:
        raise too_large(max_bytes)
    receiver = _Receiver(file_field, max_bytes, spool_dir, authorize)
    callbacks = {name: getattr(receiver, name) for name in dir(receiver) if name.startswith("on_")}
    parser = MultipartParser(params[b"boundary"], callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (Problem, BodyTooLarge):
        _cleanup(receiver)
        raise
    except Exception as exc:
        _cleanup(receiver)
        raise Problem(400, "malformed-multipart", "The multipart body could not be read.") from exc
    if receiver.file is None:
        raise Problem(422, "file-missing", f"No file was sent in the field {file_field!r}.")
    receiver.file.close()
    return ReceivedUpload(
        receiver.file.name,
        receiver.size,
        receiver.hasher.hexdigest(),
        receiver.filename,
        receiver.fields,
    )


def _cleanup(receiver: _Receiver) -> None:
    if receiver.file is not None:
        receiver.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(receiver.file.name)
