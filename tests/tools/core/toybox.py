"""A small real provider for the approval and loop tests: a 'mailbox' that is a folder of
files on disk. Its act tools really write and delete files, so a test sees real effects."""

from __future__ import annotations

import json
from pathlib import Path

from os1.tools.base import Preview, tool


class Toybox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.outbox = root / "outbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.outbox.mkdir(parents=True, exist_ok=True)

    def deliver(self, name: str, sender: str, subject: str, body: str) -> int:
        number = len(list(self.inbox.iterdir())) + 1
        (self.inbox / f"{number}.json").write_text(json.dumps(
            {"id": number, "name": name, "sender": sender, "subject": subject, "body": body}))
        return number

    def _all(self) -> list[dict[str, object]]:
        return [json.loads(p.read_text()) for p in sorted(self.inbox.iterdir())]

    @tool("read")
    def inbox_overview(self) -> str:
        """What is in the inbox."""
        return "\n".join(f"#{m['id']} from {m['name']} <{m['sender']}>: {m['subject']}\n{m['body']}"
                         for m in self._all())

    @tool("read")
    def search_mail(self, query: str, limit: int = 5) -> list[dict[str, object]]:
        """Find messages by sender or subject."""
        q = query.lower()
        return [m for m in self._all()
                if q in str(m["name"]).lower() or q in str(m["subject"]).lower()][:limit]

    @tool("act", preview="_preview_send")
    def send_email(self, to: list[str], subject: str, body: str) -> str:
        """Send an email."""
        n = len(list(self.outbox.iterdir())) + 1
        (self.outbox / f"{n}.json").write_text(json.dumps({"to": to, "subject": subject,
                                                            "body": body}))
        return f"sent to {', '.join(to)}"

    def _preview_send(self, to: list[str], subject: str, body: str) -> Preview:
        return Preview("Send an email", {"To": ", ".join(to), "Subject": subject}, body)

    @tool("act", preview="_preview_reply")
    def reply_to(self, mail_id: int, body: str) -> str:
        """Reply to a message."""
        original = json.loads((self.inbox / f"{mail_id}.json").read_text())
        return self.send_email([str(original["sender"])], f"Re: {original['subject']}", body)

    def _preview_reply(self, mail_id: int, body: str) -> Preview:
        original = json.loads((self.inbox / f"{mail_id}.json").read_text())
        return Preview("Reply", {"To": str(original["sender"]),
                                 "Subject": f"Re: {original['subject']}"}, body)

    @tool("act", preview="_preview_delete")
    def delete_mail(self, mail_ids: list[int]) -> str:
        """Delete messages."""
        for i in mail_ids:
            (self.inbox / f"{i}.json").unlink()
        return f"deleted {len(mail_ids)}"

    def _preview_delete(self, mail_ids: list[int]) -> Preview:
        lines = []
        for i in mail_ids:
            m = json.loads((self.inbox / f"{i}.json").read_text())
            lines.append(f"#{i} {m['name']}: {m['subject']}")
        return Preview(f"Delete {len(mail_ids)} messages", affected=lines)

    def state(self) -> dict[str, list[str]]:
        return {"inbox": sorted(p.name for p in self.inbox.iterdir()),
                "outbox": sorted(p.read_text() for p in self.outbox.iterdir())}
