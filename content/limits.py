"""Safety limits for unpacking an uploaded package.

The defaults bound what a hostile archive can cost (entries, bytes, ratio). They are plain values
so the service can build them from settings; ``content`` never reads settings itself.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds applied to every archive before and while it is inflated."""

    max_entries: int = 20_000
    #: absolute cap on the sum of inflated bytes of all entries
    max_total_uncompressed: int = 4 * GiB
    #: the sum of inflated bytes may be at most this many times the archive size, once it is
    #: past ``total_ratio_min_size``: below that, inflating costs nothing worth guarding, and
    #: text manifests compress far better (a 1 000-AU cmi5.xml of 410 KB zips to 10 KB)
    max_total_ratio: float = 20.0
    total_ratio_min_size: int = 16 * MiB
    #: an entry that inflates past ``ratio_check_min_size`` may inflate at most this many times
    max_entry_ratio: float = 100.0
    ratio_check_min_size: int = 1 * MiB
    max_manifest_bytes: int = 5 * MiB
    max_path_bytes: int = 512
    max_path_depth: int = 32
    #: size of the archive itself (the service's upload limit); None = not checked here
    max_archive_bytes: int | None = None
    #: read size when streaming entries
    chunk_size: int = 256 * 1024
