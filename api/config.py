"""Server settings: command-line flags, else environment variables, else safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

from graph import DEFAULT_GRAPH_URL


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    graph_url: str = DEFAULT_GRAPH_URL
    demo: bool = False
    expiry_interval: float = 1.0

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            host=os.environ.get("KEYTURN_HOST", cls.host),
            port=int(os.environ.get("KEYTURN_PORT", cls.port)),
            graph_url=os.environ.get("KEYTURN_GRAPH", cls.graph_url),
            demo=os.environ.get("KEYTURN_DEMO", "") in {"1", "true", "yes"},
            expiry_interval=float(os.environ.get("KEYTURN_EXPIRY_INTERVAL", cls.expiry_interval)),
        )
