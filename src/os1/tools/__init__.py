"""What the companion can do in the world: read tools look, act tools change something.

An act tool never runs because the model (or text it read) asked: the loop turns it into
a proposal that the person sees exactly and approves (``os1.tools.approvals``).
One package per capability: mail/, calendar/, files/.
"""

from os1.tools.base import Effect, Preview, ToolRegistry, ToolSpec, tool

__all__ = ["Effect", "Preview", "ToolRegistry", "ToolSpec", "tool"]
