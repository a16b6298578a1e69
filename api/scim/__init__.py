"""SCIM 2.0 over HTTP at /scim/v2 (see api.scim.routes)."""

from api.scim.routes import scim_router

__all__ = ["scim_router"]
