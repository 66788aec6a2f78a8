"""S3ObjectStore: objects in any S3-compatible service (AWS S3, MinIO, SeaweedFS) via boto3."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ingest.interfaces import (
    InvalidRange,
    InvalidUpload,
    ObjectBody,
    ObjectInfo,
    ObjectNotFound,
    PartInfo,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
)
from ingest.serving import disposition

T = TypeVar("T")

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
_BAD_UPLOAD = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}


class S3ObjectStore:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        public_endpoint_url: str | None = None,
        addressing_style: str = "path",
        connect_timeout: float = 5,
        read_timeout: float = 60,
    ) -> None:
        self.bucket = bucket
        self.region = region
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        credentials = {
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "region_name": region,
            "config": config,
        }
        self._client = boto3.client("s3", endpoint_url=endpoint_url or None, **credentials)
        # Presigned URLs name the address clients reach, which may differ from the internal one.
        self._presigner = boto3.client(
            "s3", endpoint_url=public_endpoint_url or endpoint_url or None, **credentials
        )
        self._bucket_ready = False

    # --- plumbing --------------------------------------------------------------------------

    def _call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self._bucket_ready:
            self._ensure_bucket()
        try:
            return operation(*args, **kwargs)
        except ClientError as exc:
            raise self._translate(exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 does not answer: {exc}") from exc

    @staticmethod
    def _translate(exc: ClientError) -> StorageError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        message = str(error.get("Message", code))
        if code in _NOT_FOUND or status == "404":
            return ObjectNotFound(message)
        if code == "InvalidRange" or status == "416":
            return InvalidRange(message)
        if code in _BAD_UPLOAD:
            return InvalidUpload(message)
        return StorageUnavailable(f"S3 refused: {code} {message}")

    def _ensure_bucket(self) -> None:
        """Create the bucket when it is missing (once per process)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in {"404", "NoSuchBucket"}:
                raise self._translate(exc) from exc
            options: dict[str, Any] = {"Bucket": self.bucket}
            if self.region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            try:
                self._client.create_bucket(**options)
            except ClientError as create_exc:
                code = str(create_exc.response.get("Error", {}).get("Code"))
                if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise self._translate(create_exc) from create_exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 does not answer: {exc}") from exc
        self._bucket_ready = True

    # --- objects ---------------------------------------------------------------------------

    def put(
        self, key: str, stream: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> ObjectInfo:
        self._call(
            self._client.upload_fileobj,
            stream,
            self.bucket,
            key,
            ExtraArgs={
                "ContentType": content_type,
                "ContentDisposition": disposition(content_type),
            },
            Config=TransferConfig(multipart_threshold=64 * 1024 * 1024, use_threads=False),
        )
        return self.head(key)

    def head(self, key: str) -> ObjectInfo:
        response = self._call(self._client.head_object, Bucket=self.bucket, Key=key)
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            etag=str(response["ETag"]).strip('"'),
            content_type=str(response.get("ContentType", "application/octet-stream")),
            last_modified=response["LastModified"],
        )

    def get(self, key: str, *, start: int | None = None, end: int | None = None) -> ObjectBody:
        options: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start is not None or end is not None:
            if (start is not None and start < 0) or (
                start is not None and end is not None and end < start
            ):
                raise InvalidRange(f"bytes {start}-{end}")
            options["Range"] = f"bytes={start or 0}-{'' if end is None else end}"
        response = self._call(self._client.get_object, **options)
        length = int(response["ContentLength"])
        content_range = response.get("ContentRange")
        if content_range:  # "bytes 0-4/11"
            span, total = content_range.removeprefix("bytes ").split("/")
            first, last = (int(n) for n in span.split("-"))
            size = int(total)
        else:
            first, last, size = 0, length - 1, length
        info = ObjectInfo(
            key=key,
            size=size,
            etag=str(response["ETag"]).strip('"'),
            content_type=str(response.get("ContentType", "application/octet-stream")),
            last_modified=response["LastModified"],
        )
        return ObjectBody(info, response["Body"], first, last)

    def promote(self, source: str, target: str, *, content_type: str) -> ObjectInfo:
        # A server-side copy under the server's type and disposition, then the staging object
        # goes: URLs presigned for it cannot reach the target.
        self._call(
            self._client.copy,
            {"Bucket": self.bucket, "Key": source},
            self.bucket,
            target,
            ExtraArgs={
                "ContentType": content_type,
                "ContentDisposition": disposition(content_type),
                "MetadataDirective": "REPLACE",
            },
            Config=TransferConfig(multipart_threshold=1024 * 1024 * 1024, use_threads=False),
        )
        self.delete(source)
        return self.head(target)

    def delete(self, key: str) -> None:
        self._call(self._client.delete_object, Bucket=self.bucket, Key=key)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages = self._call(lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        for page in pages:
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    size=int(item["Size"]),
                    etag=str(item["ETag"]).strip('"'),
                    content_type="",  # listings do not carry it
                    last_modified=item["LastModified"],
                )

    def check(self) -> None:
        self._bucket_ready = False
        self._call(lambda: None)

    # --- presigned URLs --------------------------------------------------------------------

    def _presign(self, operation: str, expires_in: int, **params: Any) -> PresignedRequest:
        if not self._bucket_ready:
            self._call(lambda: None)
        url = self._presigner.generate_presigned_url(
            operation, Params={"Bucket": self.bucket, **params}, ExpiresIn=expires_in
        )
        method = "GET" if operation == "get_object" else "PUT"
        return PresignedRequest(
            url=url,
            method=method,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
            headers={},
        )

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest:
        extra = {}
        if download_name:
            extra["ResponseContentDisposition"] = disposition("", download_name)
        return self._presign("get_object", expires_in, Key=key, **extra)

    def presign_put(
        self, key: str, *, expires_in: int, size: int | None = None
    ) -> PresignedRequest:
        extra = {"ContentLength": size} if size is not None else {}
        return self._presign("put_object", expires_in, Key=key, **extra)

    # --- multipart -------------------------------------------------------------------------

    def create_multipart(self, key: str, *, content_type: str = "application/octet-stream") -> str:
        response = self._call(
            self._client.create_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
        )
        return str(response["UploadId"])

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        *,
        expires_in: int,
        size: int | None = None,
    ) -> PresignedRequest:
        extra = {"ContentLength": size} if size is not None else {}
        return self._presign(
            "upload_part", expires_in, Key=key, UploadId=upload_id, PartNumber=part_number, **extra
        )

    def list_parts(self, key: str, upload_id: str) -> builtins.list[PartInfo]:
        parts: builtins.list[PartInfo] = []
        marker = 0
        while True:
            response = self._call(
                self._client.list_parts,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumberMarker=marker,
            )
            parts.extend(
                PartInfo(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"]).strip('"'))
                for p in response.get("Parts", [])
            )
            if not response.get("IsTruncated"):
                return parts
            marker = int(response["NextPartNumberMarker"])

    def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[PartInfo] | None = None
    ) -> ObjectInfo:
        chosen = self.list_parts(key, upload_id) if parts is None else parts
        if not chosen:
            raise InvalidUpload("no parts were uploaded")
        self._call(
            self._client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p.part_number, "ETag": f'"{p.etag}"'} for p in chosen]
            },
        )
        return self.head(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._call(
                self._client.abort_multipart_upload, Bucket=self.bucket, Key=key, UploadId=upload_id
            )
        except ObjectNotFound:
            return
