"""Serving an ASGI app over real HTTP inside a bench (uvicorn in a thread), as browsers and
HTTP clients reach the service."""

from __future__ import annotations

import socket
import threading
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app, port: int):
    """``(server, thread)``, once the server accepts connections; stop it with
    ``server.should_exit = True``."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return server, thread


def embedded_settings(folder, public_base_url: str, **env: str):
    """Configure this (bench) process as the service on its embedded default under ``folder``
    (SQLite and files), migrated, relay off, quiet logs; ``env`` adds or overrides SKILLS_*
    variables. Returns the settings. One bench process, one service: the settings and the
    engine are cached per process."""
    import os
    from pathlib import Path

    os.environ.update(
        {
            "SKILLS_ENV": "test",
            "SKILLS_VAR_DIR": str(Path(folder) / "var"),
            "SKILLS_MASTER_KEY": "bench-master-key-" + "x" * 32,
            "SKILLS_PUBLIC_BASE_URL": public_base_url,
            "SKILLS_OUTBOX_RELAY_IN_API": "false",
            "SKILLS_LOG_LEVEL": "WARNING",
        }
        | env
    )
    from service.core.db import get_engine
    from service.core.migrate import upgrade
    from service.core.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    return settings
