"""The object storage the service uses, built from settings (content/ owns the backends)."""

from __future__ import annotations

from functools import lru_cache

from service.core.settings import Settings, get_settings


def storage_from_settings(settings: Settings):
    from content.storage import make_storage

    if settings.storage_backend == "s3":
        return make_storage(
            "s3",
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            public_endpoint_url=settings.s3_public_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key_id,
            secret_key=settings.s3_secret_access_key.get_secret_value(),
            addressing_style=settings.s3_addressing_style,
        )
    return make_storage(
        "local",
        root=settings.local_storage_root(),
        signing_key=settings.derived_key("skills/object-url/v1"),
        public_base_url=settings.public_base_url,
    )


@lru_cache
def get_storage():
    return storage_from_settings(get_settings())
