"""``os1 serve``: one server, many people's companions, each private to its owner."""

from os1.server.app import ServerOptions, create_app

__all__ = ["ServerOptions", "create_app"]
