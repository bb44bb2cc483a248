"""Object storage on the S3 API (AWS S3, MinIO, Aliyun OSS, Huawei OBS) through boto3.

S3-compatible stores reject the flexible checksums boto3 sends by default since 1.36, so the
client only computes / validates checksums where an operation requires them
(``request_checksum_calculation`` / ``response_checksum_validation`` = "when_required").
Uploads go through s3transfer (multipart above ``multipart_threshold``) with a bounded number
of in-memory parts, so memory stays bounded whatever the object size.

The service may reach the store at an address browsers cannot (``http://minio:9000`` inside a
compose network). Presigned URLs and POST forms are handed to browsers, so they are made by a
second client whose endpoint is ``public_endpoint_url``: Signature Version 4 signs the Host
header (AWS SigV4, "Create a canonical request"), so a URL signed for one host and rewritten to
another fails the store's signature check; it has to be signed for the public host itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from content.storage.base import (
    DEFAULT_CHUNK,
    ObjectInfo,
    ObjectNotFound,
    ObjectStorage,
    ReadableStream,
    StorageError,
    validate_key,
    validate_prefix,
)

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_PART = 8 * 1024 * 1024


class _CountingReader:
    """Wraps a stream to count bytes read (the store reports what it really uploaded) and to
    turn short reads into full ones: s3transfer takes a short read for the end of the stream
    (it would upload a truncated object), while sockets and decompressors return short reads
    routinely."""

    def __init__(self, stream: ReadableStream):
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self._stream.read()
        else:
            parts = []
            want = size
            while want > 0:
                piece = self._stream.read(want)
                if not piece:
                    break
                parts.append(piece)
                want -= len(piece)
            data = b"".join(parts)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Storage(ObjectStorage):
    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        addressing_style: str = "path",
        max_pool_connections: int = 10,
        public_endpoint_url: str | None = None,
    ):
        self.bucket = bucket
        self.region = region
        config = Config(
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": addressing_style},
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max_pool_connections,
        )
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=config,
        )
        # presigned URLs and forms go to browsers: signed for the address browsers use
        public = public_endpoint_url or None
        if public is None or public == (endpoint_url or None):
            self.presign_client = self.client
        else:
            self.presign_client = boto3.client(
                "s3",
                endpoint_url=public,
                region_name=region or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                config=config,
            )
        self.transfer_config = TransferConfig(
            multipart_threshold=_PART,
            multipart_chunksize=_PART,
            max_concurrency=4,
            max_io_queue=16,
            use_threads=True,
        )
        # bound parts buffered from non-seekable streams (default 10 x chunk size)
        self.transfer_config.max_in_memory_upload_chunks = 4

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (deployment bootstrap, tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise StorageError(f"cannot reach bucket {self.bucket}: {exc}") from exc
        params: dict[str, Any] = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**params)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise StorageError(f"cannot create bucket {self.bucket}: {exc}") from exc

    def put(
        self,
        key: str,
        stream: ReadableStream,
        size: int | None = None,
        content_type: str | None = None,
    ) -> int:
        validate_key(key)
        reader = _CountingReader(stream)
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.upload_fileobj(
                reader, self.bucket, key, ExtraArgs=extra, Config=self.transfer_config
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"upload of {key!r} failed: {exc}") from exc
        return reader.count

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        try:
            body: BinaryIO = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            return body
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise ObjectNotFound(key) from exc
            raise StorageError(f"cannot read {key!r}: {exc}") from exc

    def head(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        try:
            resp = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise StorageError(f"cannot stat {key!r}: {exc}") from exc
        etag = str(resp.get("ETag") or "").strip('"') or None
        return ObjectInfo(
            key=key,
            size=resp["ContentLength"],
            content_type=resp.get("ContentType"),
            etag=etag,
            modified=resp.get("LastModified"),
        )

    def iter(
        self, key: str, chunk_size: int = DEFAULT_CHUNK, *, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """A ranged GetObject (``Range: bytes=start-(end-1)``): only the asked bytes travel."""
        validate_key(key)
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"invalid byte range {start}..{end}")
        if end is not None and end == start:
            return
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            body = self.client.get_object(**params)["Body"]
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise ObjectNotFound(key) from exc
            if _code(exc) == "InvalidRange":  # start at or past the end: no bytes there
                return
            raise StorageError(f"cannot read {key!r}: {exc}") from exc
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        validate_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise StorageError(f"cannot delete {key!r}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix, allow_empty=True)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield obj["Key"]
        except ClientError as exc:
            raise StorageError(f"cannot list {prefix!r}: {exc}") from exc

    def delete_prefix(self, prefix: str) -> int:
        """Batch delete (DeleteObjects, 1000 keys per call); per-key fallback for stores that
        refuse the batch call's checksum header."""
        validate_prefix(prefix, allow_empty=False)
        count = 0
        batch: list[str] = []
        for key in self.list(prefix):
            batch.append(key)
            if len(batch) == 1000:
                count += self._delete_batch(batch)
                batch = []
        if batch:
            count += self._delete_batch(batch)
        return count

    def _delete_batch(self, keys: Sequence[str]) -> int:
        try:
            resp = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
            )
        except ClientError as exc:
            if _code(exc) not in ("MissingContentMD5", "InvalidRequest", "NotImplemented"):
                raise StorageError(f"batch delete failed: {exc}") from exc
            for key in keys:
                self.delete(key)
            return len(keys)
        errors = resp.get("Errors") or []
        if errors:
            raise StorageError(f"batch delete left {len(errors)} objects: {errors[:3]}")
        return len(keys)

    def presigned_get(self, key: str, expires_seconds: int, content_type: str | None = None) -> str:
        validate_key(key)
        params = {"Bucket": self.bucket, "Key": key}
        if content_type:
            params["ResponseContentType"] = content_type
        url: str = self.presign_client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=int(expires_seconds)
        )
        return url

    def presigned_post(self, key: str, max_bytes: int, expires_seconds: int) -> dict[str, Any]:
        validate_key(key)
        post = self.presign_client.generate_presigned_post(
            self.bucket,
            key,
            Conditions=[["content-length-range", 0, int(max_bytes)]],
            ExpiresIn=int(expires_seconds),
        )
        return {"url": post["url"], "fields": dict(post["fields"])}

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"bucket {self.bucket} is not reachable: {exc}") from exc
