"""Any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp's server, OpenAI itself.

Streams ``/chat/completions`` over server-sent events. Network failures become a
``BackendError`` that names the URL (never the key) and what to do.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx

from os1.errors import BackendError
from os1.llm.base import ChatMessage

SWITCH_BACK = "or switch to the embedded model: os1 config set backend embedded"


class OpenAICompatBackend:
    supports_schema = True

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 context_tokens: int = 4096, max_reply_tokens: int = 512,
                 connect_timeout: float = 5.0, read_timeout: float = 120.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}@{self.base_url}"
        self.context_tokens = context_tokens
        self.max_reply_tokens = max_reply_tokens
        self.read_timeout = read_timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client_options: dict[str, Any] = dict(
            headers=headers, transport=transport,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0,
                                  pool=connect_timeout))
        self._client = httpx.AsyncClient(**self._client_options)
        # llama.cpp's server wants {"type": "json_object", "schema": ...}; vLLM and OpenAI
        # take {"type": "json_schema", ...}. Learned on first use.
        self._schema_style: str | None = None

    def count_tokens(self, text: str) -> int:
        # No tokenizer for a remote model: a conservative estimate (about 3 bytes a token).
        return math.ceil(len(text.encode("utf-8", "replace")) / 3)

    def _response_format(self, schema: dict[str, Any], style: str) -> dict[str, Any]:
        if style == "json_schema":
            return {"type": "json_schema",
                    "json_schema": {"name": "reply", "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": schema}

    async def stream(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                     stop: list[str] | None = None, max_tokens: int | None = None,
                     temperature: float | None = None, aside: bool = False) -> AsyncIterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.as_dict() for m in messages],
            "stream": True,
            "max_tokens": max_tokens or self.max_reply_tokens,
        }
        if stop:
            body["stop"] = stop
        if temperature is not None:
            body["temperature"] = temperature
        styles = [self._schema_style] if self._schema_style else ["json_schema", "json_object"]
        for attempt, style in enumerate(styles if schema is not None else [None]):
            if schema is not None and style is not None:
                body["response_format"] = self._response_format(schema, style)
            last = attempt == len(styles) - 1 or schema is None
            async for piece in self._post(body, retry_on_422=not last, aside=aside):
                if piece is None:  # the server refused this response_format style
                    break
                if schema is not None:
                    self._schema_style = style
                yield piece
            else:
                return

    async def _post(self, body: dict[str, Any], *, retry_on_422: bool,
                    aside: bool = False) -> AsyncIterator[str | None]:
        url = f"{self.base_url}/chat/completions"
        # Background work runs on its own thread and event loop; an httpx client's connection
        # pool belongs to one loop, so it gets a client of its own for each request.
        client = httpx.AsyncClient(**self._client_options) if aside else self._client
        try:
            async with client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    await response.aread()
                    # A server that doesn't know this response_format style says so with a
                    # 400/422 (vLLM, OpenAI) or a 500 naming the field (llama.cpp's server).
                    if retry_on_422 and (response.status_code in (400, 422)
                                         or "response_format" in response.text):
                        yield None
                        return
                    raise self._http_error(response)
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        chunk = json.loads(data)
                    except ValueError as exc:
                        raise BackendError(f"The model server at {self.base_url} sent something "
                                           "that isn't JSON.", "Check that the URL points at an "
                                           f"OpenAI-compatible /v1 endpoint, {SWITCH_BACK}.") from exc
                    if "error" in chunk:
                        message = chunk["error"].get("message", chunk["error"]) \
                            if isinstance(chunk["error"], dict) else chunk["error"]
                        raise BackendError(f"The model server reported an error: {message}.",
                                           "Try again, or check the server's log.")
                    choices = chunk.get("choices") or []
                    if choices:
                        piece = (choices[0].get("delta") or {}).get("content")
                        if piece:
                            yield piece
        except httpx.ConnectTimeout as exc:
            raise BackendError(f"The model server at {self.base_url} didn't accept a connection "
                               "in time.", f"Check that it is running, {SWITCH_BACK}.") from exc
        except httpx.TimeoutException as exc:
            raise BackendError(f"The model server at {self.base_url} stopped answering "
                               f"(nothing for {self.read_timeout:g} s).",
                               "It may be overloaded; try again, raise the limit with "
                               f"'os1 config set read_timeout SECONDS', {SWITCH_BACK}.") from exc
        except httpx.ConnectError as exc:
            raise BackendError(f"Couldn't reach the model server at {self.base_url} "
                               "(connection refused or no such host).",
                               f"Start the server or fix the URL "
                               f"(os1 config set openai.base_url URL), {SWITCH_BACK}.") from exc
        except httpx.HTTPError as exc:
            raise BackendError(f"The connection to the model server at {self.base_url} failed: "
                               f"{exc.__class__.__name__}.", f"Try again, {SWITCH_BACK}.") from exc
        finally:
            if client is not self._client:
                await client.aclose()

    def _http_error(self, response: httpx.Response) -> BackendError:
        status = response.status_code
        if status in (401, 403):
            return BackendError(f"The model server at {self.base_url} refused the API key "
                                f"(HTTP {status}).",
                                "Set the right one: os1 config set openai.api_key KEY "
                                "(or OS1_OPENAI_API_KEY).")
        if status == 404:
            return BackendError(f"The model server at {self.base_url} has no model "
                                f"'{self.model}' or no /chat/completions (HTTP 404).",
                                "Check: os1 config set openai.model NAME, and that the URL ends in /v1.")
        detail = response.text[:200].replace("\n", " ")
        return BackendError(f"The model server at {self.base_url} answered HTTP {status}: {detail}",
                            f"Try again, {SWITCH_BACK}.")

    async def aclose(self) -> None:
        await self._client.aclose()
