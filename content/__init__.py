"""Digital course packages: safe unzip, manifest parsing, object storage, ingest.

Never imports ``service``: callers pass storage objects, limits and settings values in.

* :mod:`content.storage` - ``ObjectStorage`` with ``LocalStorage`` and ``S3Storage``
* :mod:`content.safezip` - hostile-archive checks and bounded streaming inflate
* :mod:`content.formats` - SCORM 1.2 / 2004, cmi5, xAPI (tincan.xml), native manifests
* :mod:`content.ingest` - ``inspect_archive`` and ``ingest_archive``
* :mod:`content.reasons` - stable reason codes for errors and warnings
"""
