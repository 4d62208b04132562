"""What running the app on real machines needs, beyond the features themselves.

- ``storage``: sending stored files (release archives) from the file system or an
  S3-compatible bucket, streamed or through a short-lived link.
- ``health``: the readiness probes behind ``/readyz`` (database, storage, cache).
- ``checks``: the project's own ``manage.py check --deploy`` checks (registered in
  ``apps.py``).
"""
