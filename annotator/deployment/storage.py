"""Stored files (release archives) on the file system or in an S3-compatible bucket.

``STORAGES["default"]`` (``project/settings.py``, from ``STORAGE_BACKEND``) says
where; the models and services store through Django's storage API and never
ask. Two things do depend on the backend, and live here:

- :func:`stored_file_response` sends a stored file. From a bucket it is streamed
  a chunk at a time (django-storages' own file object downloads the whole
  object into memory before the first byte is read), or, with
  ``S3_PRESIGNED_DOWNLOAD_SECONDS``, the answer is a redirect to a link to the
  object that expires after that many seconds. Callers check permissions first.
- :func:`storage_reachable` is the storage probe of ``/readyz``.
"""

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

#: Bytes read from the bucket and sent on at a time.
CHUNK_BYTES = 1 << 20
S3_BACKEND_MODULE = "storages.backends.s3"


def is_bucket(storage: Storage) -> bool:
    """Whether ``storage`` is django-storages' S3 backend.

    Its module (and boto3: nearly a second and 40 MB per process) is imported only where
    STORAGES asks for it, which it must have been for such a storage to exist.
    """
    # ``__class__`` sets up a lazy storage (default_storage), importing its backend.
    storage_class = storage.__class__
    backend = sys.modules.get(S3_BACKEND_MODULE)
    return backend is not None and issubclass(storage_class, backend.S3Storage)


def stored_file_response(stored: FieldFile, *, filename: str, content_type: str) -> HttpResponse:
    """Send ``stored`` as an attachment named ``filename``, never holding it whole in memory."""
    storage = stored.storage
    if not is_bucket(storage):
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=filename, content_type=content_type
        )
    if settings.S3_PRESIGNED_DOWNLOAD_SECONDS:
        url = storage.url(
            stored.name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            expire=settings.S3_PRESIGNED_DOWNLOAD_SECONDS,
        )
        return HttpResponseRedirect(url)
    # The storage's file object checks that the object exists (a 404 is FileNotFoundError,
    # as on the file system); its ``obj`` gets the body as a stream instead of a copy.
    stored_object = storage.open(stored.name, "rb").obj.get()
    response = FileResponse(
        stored_object["Body"], as_attachment=True, filename=filename, content_type=content_type
    )
    response.block_size = CHUNK_BYTES
    response["Content-Length"] = str(stored_object["ContentLength"])
    return response


def storage_reachable(storage: Storage) -> bool:
    """Whether files can be stored: the bucket answers, or the folder is (or can be made)
    writable. Raises what the bucket's client raises when it cannot be reached."""
    if is_bucket(storage):
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return True
    if isinstance(storage, FileSystemStorage):
        # MEDIA_ROOT is made by the first save; until then its nearest parent must be writable.
        folder = Path(storage.location)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    storage.exists("readyz")
    return True
