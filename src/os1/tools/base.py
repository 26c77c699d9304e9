"""The tool contract: a typed Python method plus a declared effect.

``@tool("read")`` marks a method that only looks; ``@tool("act", preview="_preview_x")``
one that sends, deletes, moves, archives, creates or writes. The registry builds each
tool's JSON schema from its signature and docstring (pydantic), validates arguments
against it, and never calls an act tool itself: ``os1.tools.approvals`` does, and only
for a proposal the person approved. The preview method takes the same arguments and
returns exactly what will happen (recipients, subject, full body, affected messages).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from os1.errors import InputError


class Effect(StrEnum):
    READ = "read"  # looks; changes nothing anywhere
    ACT = "act"  # sends, replies, forwards, deletes, moves, archives, creates, writes


@dataclass(frozen=True)
class Preview:
    """What an act tool will do, shown to the person before they approve it. Nothing is
    summarized away: the whole body, every recipient, every affected item."""

    title: str  # "Send an email", "Archive 86 messages"
    fields: dict[str, str] = field(default_factory=dict)  # To, Cc, Subject, When, Where …
    body: str = ""
    affected: list[str] = field(default_factory=list)  # one line per message/event/file

    def render(self) -> str:
        lines = [self.title]
        lines += [f"{key}: {value}" for key, value in self.fields.items()]
        if self.body:
            lines += ["", self.body]
        if self.affected:
            lines += ["", f"Affects {len(self.affected)}:"] + [f"  • {a}" for a in self.affected]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "fields": dict(self.fields), "body": self.body,
                "affected": list(self.affected)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preview:
        return cls(title=str(data.get("title", "")), fields=dict(data.get("fields") or {}),
                   body=str(data.get("body", "")), affected=list(data.get("affected") or []))


_MARK = "__os1_tool__"


def tool(effect: str | Effect, *, name: str | None = None,
         preview: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method as a tool. Act tools must name their preview method."""
    effect = Effect(effect)
    if effect is Effect.ACT and not preview:
        raise TypeError("an act tool needs a preview method: @tool('act', preview='_preview_…')")

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, _MARK, {"effect": effect, "name": name or func.__name__, "preview": preview})
        return func

    return mark


@dataclass(frozen=True)
class ToolSpec:
    name: str
    effect: Effect
    description: str
    func: Callable[..., Any]
    arguments: type[BaseModel]
    preview: Callable[..., Any] | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        return self.arguments.model_json_schema()

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.arguments.model_validate(args).model_dump()
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
            raise InputError(f"{self.name}: {where}: {first['msg']}",
                             "Say it again with that filled in.") from exc


def _arguments_model(func: Callable[..., Any], tool_name: str) -> type[BaseModel]:
    signature = inspect.signature(func)
    hints = inspect.get_annotations(func, eval_str=True)
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, default)
    model: type[BaseModel] = create_model(f"{tool_name}_arguments", **fields)
    return model


def _description(func: Callable[..., Any]) -> str:
    doc = inspect.getdoc(func) or func.__name__.replace("_", " ")
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


class ToolRegistry:
    """The tools one person's companion has, from the objects given (bound methods)."""

    def __init__(self, *providers: object) -> None:
        self._tools: dict[str, ToolSpec] = {}
        for provider in providers:
            self.add(provider)

    def add(self, provider: object) -> None:
        for attr in dir(type(provider)):
            func = getattr(type(provider), attr, None)
            mark = getattr(func, _MARK, None)
            if func is None or mark is None:
                continue
            bound = getattr(provider, attr)
            preview = getattr(provider, mark["preview"]) if mark["preview"] else None
            spec = ToolSpec(name=mark["name"], effect=mark["effect"], description=_description(func),
                            func=bound, arguments=_arguments_model(func, mark["name"]),
                            preview=preview)
            if spec.name in self._tools:
                raise ValueError(f"two tools are called {spec.name}")
            self._tools[spec.name] = spec

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def get(self, name: str) -> ToolSpec:
        try:
            return self._tools[name]
        except KeyError:
            raise InputError(f"There's no tool called {name!r}.",
                             f"The tools are: {', '.join(sorted(self._tools)) or 'none'}.") from None

    def specs(self, effect: Effect | None = None) -> list[ToolSpec]:
        return [t for t in self._tools.values() if effect is None or t.effect is effect]

    async def run_read(self, name: str, args: dict[str, Any]) -> Any:
        """Run a read tool. Act tools are refused here: they run only through an approval."""
        spec = self.get(name)
        if spec.effect is not Effect.READ:
            raise PermissionError(f"{name} changes something; it runs only when approved")
        return await call(spec.func, spec.validate(args))

    async def preview(self, name: str, args: dict[str, Any]) -> tuple[dict[str, Any], Preview]:
        spec = self.get(name)
        if spec.effect is not Effect.ACT or spec.preview is None:
            raise PermissionError(f"{name} isn't an action")
        clean = spec.validate(args)
        shown = await call(spec.preview, clean)
        if not isinstance(shown, Preview):
            raise TypeError(f"{name}'s preview returned {type(shown).__name__}, not a Preview")
        return clean, shown


async def call(func: Callable[..., Any], args: dict[str, Any]) -> Any:
    """Call a tool function, sync (in a thread: they touch the network and the disk) or async."""
    if inspect.iscoroutinefunction(func):
        return await func(**args)
    return await asyncio.to_thread(func, **args)
