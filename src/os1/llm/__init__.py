"""Chat backends: embedded llama.cpp and any OpenAI-compatible server."""

from os1.llm.base import ChatBackend, ChatMessage, complete, complete_structured

__all__ = ["ChatBackend", "ChatMessage", "complete", "complete_structured"]
