"""Mail sync speed against a real local Dovecot: a 10,000-message mailbox, header sync
(messages/s), body sync (messages/s), and the time until the first useful overview (the
header phase plus ``MailService.overview``: counts by kind, what needs a reply, clean-up).

    .venv/bin/python benchmarks/mail_sync.py [--messages 10000]

The mailbox is written straight into Dovecot's Maildir (the SpamAssassin sample from
../shared/data/mail when present, cycled with fresh Message-IDs, plus generated mail), then
synced over IMAPS on 127.0.0.1 into a fresh SQLite store, as ``os1 mail sync`` would.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.services.mailserver import DEFAULT_PASSWORD, start_mailserver  # noqa: E402

from os1.clock import SystemClock  # noqa: E402
from os1.secrets import open_box  # noqa: E402
from os1.store import Store, open_engine  # noqa: E402
from os1.tools.mail.service import MailService  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "mail" / "spamassassin"


def messages(count: int) -> list[bytes]:
    sample = [p.read_bytes() for p in sorted(DATA.glob("*/*")) if p.is_file()] if DATA.is_dir() else []
    out = []
    for i in range(count):
        if sample and i % 2 == 0:
            raw = sample[(i // 2) % len(sample)]
            raw = re.sub(rb"(?im)^message-id:.*\r?\n", b"", raw, count=1)
            raw = f"Message-ID: <bench{i}@os1>\r\n".encode() + raw
        else:
            raw = (f"From: person{i % 97}@example.org\r\nTo: amy@localhost\r\n"
                   f"Subject: Update number {i} about project {i % 13}\r\n"
                   f"Date: Fri, 13 Mar 2026 {i % 24:02d}:{i % 60:02d}:00 +0000\r\n"
                   f"Message-ID: <bench{i}@os1>\r\n\r\n"
                   + ("Hello Amy,\r\nhere is the latest on the project. " * 20) + "\r\n").encode()
        out.append(raw)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    server = start_mailserver()
    try:
        user = server.create_user("bench")
        raws = messages(args.messages)
        started = time.perf_counter()
        server.write_maildir(user, raws)
        fill = time.perf_counter() - started
        work = Path(tempfile.mkdtemp(prefix="os1-mailbench-"))
        clock = SystemClock()
        store = Store(open_engine(work / "os1.db", clock), clock)
        user_id = store.ensure_user("bench")
        service = MailService(store, user_id, open_box(work / "secret.key"), clock)
        service.connect(host="127.0.0.1", port=server.imaps_port, username=user,
                        password=DEFAULT_PASSWORD, ca_file=str(server.ca_file))
        started = time.perf_counter()
        headers = service.sync(bodies=False)
        overview = service.overview(datetime.now(UTC))
        first_overview = time.perf_counter() - started
        started = time.perf_counter()
        bodies = service.sync()
        body_seconds = time.perf_counter() - started
        print(json.dumps({
            "benchmark": "mail_sync", "messages": args.messages,
            "fill_maildir_s": round(fill, 2),
            "header_sync_s": round(headers.header_seconds, 2),
            "header_msgs_per_s": round(headers.new_messages / headers.header_seconds, 1),
            "body_sync_s": round(body_seconds, 2),
            "body_msgs_per_s": round(bodies.bodies / body_seconds, 1),
            "first_overview_s": round(first_overview, 2),
            "overview": {"total": overview.total, "by_category": overview.by_category,
                         "needs_reply": len(overview.needs_reply)},
            "bytes": sum(len(r) for r in raws),
        }, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
