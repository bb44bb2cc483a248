"""Distances for the "15-minute skill learning circle" (nearby offerings).

A bounding box (a plain range filter on indexed latitude/longitude, the same SQL on SQLite and
PostgreSQL) narrows the candidates; the exact great-circle distance (haversine, mean Earth
radius) then filters and orders them. 3 km is the default radius: a 15-minute trip by e-bike or
bus, or 15 minutes on foot at the edge of a dense district.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
DEFAULT_RADIUS_M = 3_000
MAX_RADIUS_M = 100_000


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """``(min_lat, max_lat, min_lon, max_lon)`` containing every point within ``radius_m``."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(radius_m / (METRES_PER_DEGREE_LAT * cos_lat), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
