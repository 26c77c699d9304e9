"""os1's labelled mail-sorting set: SpamAssassin's test corpus, hand-labelled, plus generated mail.

    .venv/bin/python -m tests.tools.sorting.labelled            # counts per split and category
    .venv/bin/python -m tests.tools.sorting.labelled --train    # retrain src/os1/tools/mail/sort_model.json

**SpamAssassin part** (``/work/shared/data/mail/spamassassin``, 71 spam + 61 ham; from Apache
SpamAssassin's test data, Apache License 2.0, © The Apache Software Foundation). Everything in
``spam/`` is labelled spam. Each ham message was labelled by hand (``HAM_LABELS`` below, one line
each with the rule used): mailing-list traffic (List-Id/List-Unsubscribe or a list tag in the
subject) is *newsletter* (bulk mail the person subscribed to); messages between colleagues about
their work (the "GM" team note, the Bellcore MIME engineers' messages) are *work*; one-to-one notes
and tests between people are *personal*; alerts from no-reply services are *notification*; the
Taiwan Power bill payment voucher is *receipt*; and four messages that SpamAssassin keeps in ham
because they test DKIM or charset handling, but which are plainly spam by content (Soma pills
x2, a Chinese product ad, an HTML ad posted to a list), are labelled *spam*. None of the ham needs a
reply. Some SpamAssassin spam is the same text as some ham (SPF/DMARC tests that are spam only
because a DNS lookup fails): those stay labelled spam and can't be told apart by content.

**Generated part** (seeded, deterministic): realistic personal, work, newsletter, receipt and
notification mail for one person (Amy Lee) from many made-up senders, built from varied templates
with real-looking headers; some HTML, some multipart/alternative, some with attachments, quoted
replies, Cc-only messages and deliberately harder cases (newsletters without list headers,
notifications from a person-looking address, work mail from a gmail address).

**Split**: 30 % held out by a hash of each message's *content group* (subject + start of body), so
duplicated SpamAssassin test messages never straddle train and test. The shipped model is trained
on ``train`` only; ``benchmarks/mail_sorting.py`` reports on ``test``. Generated templates do appear
in both splits (the exact messages don't), so generated-test accuracy is optimistic; the benchmark
reports the SpamAssassin part separately.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from functools import cached_property
from pathlib import Path

SPAMASSASSIN = Path("/work/shared/data/mail/spamassassin")
ME = ("Amy Lee", "amy@amylee.net")
MY_ADDRESSES = ("amy@amylee.net", "amy.lee@brightpath.io")
TEST_PERCENT = 30
SEED = 20260314

# file -> (category, why)
HAM_LABELS: dict[str, tuple[str, str]] = {
    "001": ("newsletter", "Ximian announce list (List-Id, Precedence: bulk)"),
    "002": ("newsletter", "SAtalk mailing list (List-Id)"),
    "003": ("newsletter", "SAtalk mailing-list thread ([SAtalk] tag)"),
    "004": ("personal", "one-to-one note between two people, no body"),
    "005": ("newsletter", "procmail mailing list (List-Id)"),
    "006": ("newsletter", "SAtalk mailing-list thread ([SAtalk] tag)"),
    "007": ("personal", "a person's test note to another"),
    "008": ("personal", "a person's whitelist test note"),
    "009": ("personal", "a person's whitelist test note"),
    "010": ("personal", "a person's whitelist test note"),
    "011": ("notification", "from a company's info@ address (PayPal)"),
    "012": ("notification", "from a company's info@ address (PayPal)"),
    "013": ("personal", "a person's whitelist test note"),
    "014": ("personal", "a person's whitelist test note"),
    "015": ("personal", "a person's whitelist test note"),
    "016": ("newsletter", "Ximian announce list ([HC Announce] tag)"),
    "AddedVtag_07": ("work", "team note about a conference call"),
    "BasicTest_01": ("work", "team note about a conference call"),
    "MIMEnowsp_05": ("spam", "pill advert (kept in ham by SpamAssassin as a DKIM test)"),
    "MIMEsimple_04": ("spam", "pill advert (kept in ham by SpamAssassin as a DKIM test)"),
    "MultipleAuthRes_10": ("work", "team note about a conference call"),
    "MultipleReceived_08": ("work", "team note about a conference call"),
    "MultipleSig_06": ("work", "team note about a conference call"),
    "NonExistingHeader_09": ("work", "team note about a conference call"),
    "Nowsp_03": ("work", "team note about a conference call"),
    "Simple_02": ("work", "team note about a conference call"),
    "authres": ("newsletter", "Ximian announce list (List-Id)"),
    "base64.txt": ("newsletter", "WebMake mailing list (List-Id)"),
    "big5-base64.1": ("spam", "HTML product advert posted to a list (charset test in SpamAssassin)"),
    "crlf-endings": ("personal", "a person's whitelist test note"),
    "gb2312.1": ("spam", "Chinese product advert (charset test in SpamAssassin)"),
    "gb2312.2": ("newsletter", "debian-chinese mailing list (List-Unsubscribe)"),
    "iso-2022-jp.1": ("newsletter", "Japanese mailing list (Precedence: bulk)"),
    "iso-2022-jp.2": ("newsletter", "ports-jp mailing list (Precedence: list)"),
    "mailman_message.txt": ("newsletter", "Wine announce list (List-Id)"),
    "mime1": ("work", "engineers discussing MIME at work"),
    "mime2": ("work", "engineers discussing MIME at work"),
    "mime3": ("work", "engineers discussing MIME at work"),
    "mime4": ("work", "engineers discussing MIME at work"),
    "mime5": ("work", "engineers discussing MIME at work"),
    "mime6": ("work", "engineers discussing MIME at work"),
    "mime7": ("work", "engineers discussing MIME at work"),
    "mime8": ("work", "engineers discussing MIME at work"),
    "mime9": ("personal", "forwarded joke shared with friends"),
    "no_body": ("personal", "one-to-one note between two people, no body"),
    "noneok.eml": ("personal", "a person's test message"),
    "not_gtube.eml": ("personal", "a person's note to another"),
    "orig_ip_hdr.eml": ("personal", "a person's test message"),
    "quarok.eml": ("personal", "a person's test message"),
    "rejectok.eml": ("personal", "a person's test message"),
    "spf1": ("notification", "Google News Alert from a no-reply sender"),
    "spf2": ("notification", "Google News Alert from a no-reply sender"),
    "spf3": ("notification", "Google News Alert from a no-reply sender"),
    "spf3-received-spf": ("notification", "Google News Alert from a no-reply sender"),
    "spf4": ("notification", "Google News Alert from a no-reply sender"),
    "spf4-received-spf-nofold": ("notification", "Google News Alert from a no-reply sender"),
    "spf5-received-spf-crlf": ("notification", "Google News Alert from a no-reply sender"),
    "spf6-received-spf-crlf2": ("notification", "Google News Alert from a no-reply sender"),
    "strictrejectok.eml": ("personal", "a person's test message"),
    "unicode1": ("personal", "one-to-one note ('home network'), no body"),
    "unicode2": ("receipt", "Taiwan Power bill payment voucher"),
}


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    id: str  # "spamassassin/ham/001", "generated/work/017"
    raw: bytes
    category: str
    needs_reply: bool
    source: str  # "spamassassin" | "generated"
    group: str  # content group: messages with the same group share a split

    @cached_property
    def message(self) -> EmailMessage:
        msg = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(msg, EmailMessage)
        return msg

    @property
    def split(self) -> str:
        digest = hashlib.sha256(self.group.encode("utf-8", "replace")).digest()
        return "test" if int.from_bytes(digest[:4], "big") % 100 < TEST_PERCENT else "train"


def _content_group(raw: bytes) -> str:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    from os1.tools.mail.sort import body_text, header

    return (header(msg, "Subject").strip().lower() + "|" + " ".join(body_text(msg).split())[:300])


def spamassassin_examples(root: Path = SPAMASSASSIN) -> list[Example]:
    """The SpamAssassin messages with their labels; [] when the folder is absent."""
    out: list[Example] = []
    for folder in ("spam", "ham"):
        directory = root / folder
        if not directory.is_dir():
            return []
        for path in sorted(directory.iterdir()):
            raw = path.read_bytes()
            category = "spam" if folder == "spam" else HAM_LABELS[path.name][0]
            out.append(Example(f"spamassassin/{folder}/{path.name}", raw, category, False,
                               "spamassassin", "sa:" + _content_group(raw)))
    return out


# --- generated mail -----------------------------------------------------------------------------

FIRST = ["Anna", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Kemi",
         "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
         "Wen", "Ximena", "Yusuf", "Zoe", "Marta", "Pedro", "Aoife", "Lars"]
LAST = ["Okafor", "Schmidt", "Nguyen", "Rossi", "Patel", "Kowalski", "Haddad", "Tanaka", "Silva",
        "Moreau", "Brennan", "Lindqvist", "Mensah", "Garcia", "Novak", "Cohen", "Ivanova", "Walsh"]
FREEMAIL = ["gmail.com", "fastmail.com", "icloud.com", "yahoo.co.uk", "proton.me", "outlook.com"]
WORK_DOMAINS = ["brightpath.io"] * 4 + ["northwind-consulting.com", "acme-logistics.eu", "halcyon.studio"]
PLACES = ["the Thai place", "Luigi's", "the market", "the park", "our usual café", "the new ramen bar"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PROJECTS = ["Atlas", "the Q3 roadmap", "the Henley account", "the onboarding flow", "Project Kite",
            "the data migration", "the pricing page", "the Lisbon offsite"]


def _person(rng: random.Random, domains: list[str]) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.choice(["{f}.{l}", "{f}", "{f}{l}", "{fi}{l}"])
    local = style.format(f=first.lower(), l=last.lower(), fi=first[0].lower())
    return f"{first} {last}", f"{local}@{rng.choice(domains)}"


def _message(rng: random.Random, when: datetime, sender: tuple[str, str], subject: str, text: str, *,
             to: tuple[str, str] = ME, cc: list[tuple[str, str]] | None = None,
             html: str | None = None, html_only: bool = False, headers: dict[str, str] | None = None,
             attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr(sender)
    msg["To"] = formataddr(to)
    if cc:
        msg["Cc"] = ", ".join(formataddr(c) for c in cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{rng.randrange(10**12):012d}.{rng.randrange(10**6)}@{sender[1].split('@')[-1]}>"
    for name, value in (headers or {}).items():
        msg[name] = value
    if html_only and html:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
    if attachment:
        maintype, subtype = ("application", "pdf") if attachment[0].endswith(".pdf") else ("text", "csv")
        msg.add_attachment(attachment[1], maintype=maintype, subtype=subtype, filename=attachment[0])
    for i, part in enumerate(msg.walk()):  # fixed boundaries: the set must be byte-for-byte stable
        if part.is_multipart():
            part.set_boundary(f"==os1-{rng.randrange(10**9):09d}-{i}==")
    return msg.as_bytes(policy=policy.SMTP)


def _html(paragraphs: list[str], *, footer: str = "") -> str:
    body = "".join(f"<p style=\"margin:0 0 12px\">{p}</p>" for p in paragraphs)
    return (f"<html><body><table width=\"100%\"><tr><td style=\"font-family:Arial\">{body}"
            f"<p style=\"color:#888;font-size:11px\">{footer}</p></td></tr></table></body></html>")


def _personal(rng: random.Random, when: datetime) -> tuple[bytes, bool]:
    name, addr = _person(rng, FREEMAIL)
    first = name.split()[0]
    greet = rng.choice(["Hi Amy,", "Hey Amy!", "Amy!", "Hiya,", "Hello lovely,", "Hi hi,", "Dear Amy,"])
    sign = rng.choice([f"x {first}", f"{first}", f"Love, {first}", f"Cheers,\n{first}", f"- {first[0]}"])
    asks = rng.random() < 0.55
    day, place = rng.choice(DAYS), rng.choice(PLACES)
    if asks:
        subject, lines = rng.choice([
            (f"{day}?", [f"Are you free on {day} evening? Thinking {place} around 7.",
                         "Let me know if that works, otherwise we can do the weekend."]),
            ("quick question", ["Do you still have the number for that plumber you used?",
                                "Ours is leaking again and I can't find anyone."]),
            ("Birthday plans", [f"It's Mum's 60th on {day} week. Could you bring the cake?",
                                "I can do the decorations. What do you think?"]),
            ("Book club", ["We're picking the next book. Any ideas? I was thinking something short.",
                           "Would you host next month?"]),
            ("Moving day", [f"We're moving on {day} the {rng.randint(2, 28)}th. Any chance you could "
                            "help with the van for a couple of hours?", "Pizza and beer on us!"]),
            ("photos from the trip", ["Finally sorted the photos from the lake. Can you send me yours "
                                      "too? I want to make an album.", "Also when are you back in town?"]),
            ("dinner", [f"How about dinner at {place} next week?", "Would love to catch up properly."]),
        ])
    else:
        subject, lines = rng.choice([
            ("so good to see you", ["Thanks for a lovely evening yesterday, it was so good to catch up.",
                                    "The kids haven't stopped talking about your dog."]),
            ("that recipe", ["Here's the recipe I mentioned: roast the squash with miso and honey, "
                             "40 minutes at 200. Trust me."]),
            ("Fwd: look at this", ["Saw this and thought of you :)", "https://example.org/cats/1234"]),
            ("home safe", ["Just landed, all good. Talk soon."]),
            ("thank you!", [f"The flowers arrived today and they're beautiful. Thank you so much, {place} "
                            "next time is on me."]),
            ("news", ["Big news: we got the flat! Keys on the 1st. Will send pictures once we're in."]),
        ])
    if rng.random() < 0.2:
        subject = "Re: " + subject
        lines.append(f"\nOn {day}, Amy Lee <amy@amylee.net> wrote:\n> Sounds great, let's do it.\n"
                     "> Is there anything I should bring?")
    text = f"{greet}\n\n" + "\n\n".join(lines) + f"\n\n{sign}\n"
    if rng.random() < 0.3:
        text += "\nSent from my iPhone\n"
    html = _html([greet, *lines, sign.replace("\n", "<br>")]) if rng.random() < 0.25 else None
    to = ME if rng.random() < 0.9 else (f"{rng.choice(FIRST)} {rng.choice(LAST)}", "friend@example.net")
    cc = [ME] if to != ME else None
    return _message(rng, when, (name, addr), subject, text, to=to, cc=cc, html=html), asks and to == ME


def _work(rng: random.Random, when: datetime) -> tuple[bytes, bool]:
    domains = WORK_DOMAINS if rng.random() < 0.9 else FREEMAIL
    name, addr = _person(rng, domains)
    first = name.split()[0]
    project, day = rng.choice(PROJECTS), rng.choice(DAYS[:5])
    asks = rng.random() < 0.55
    attachment = None
    if asks:
        subject, lines = rng.choice([
            (f"Review: {project}", [f"Could you review the draft for {project} by {day}?",
                                    "I've left comments on the sections I'm unsure about."]),
            ("Budget numbers", [f"Finance needs the final budget for {project} by end of day {day}. "
                                "Can you confirm the headcount line?"]),
            (f"{project} - next steps", ["Following up on today's call. Are you OK owning the "
                                         "timeline section?", "Please let me know by tomorrow."]),
            ("Interview panel", [f"We have a senior candidate on {day} at 14:00. Would you be able "
                                 "to join the panel?"]),
            ("Contract question", [f"The client asked whether we can move the {project} milestone to "
                                   "next month. What do you think?"]),
            (f"Sign-off needed: {project}", ["I need your sign-off on the attached plan before we "
                                             "send it to the client."]),
        ])
        if "attached" in lines[-1] or rng.random() < 0.15:
            attachment = (f"{project.replace(' ', '_')}.pdf", b"%PDF-1.4\n% test\n")
    else:
        subject, lines = rng.choice([
            (f"Notes: {project} sync", ["Notes from today's sync are below.", "- timeline agreed\n"
                                        "- design review moved\n- next sync in two weeks"]),
            (f"FYI {project}", [f"Just a heads-up that {project} shipped to staging this morning.",
                                "No action needed from you."]),
            ("Q3 report", [f"Attached is the Q3 report for {project}, for your records."]),
            ("Out of office", [f"I'm off from {day} until the following week. Marta is covering "
                               "for me."]),
            ("Great work", [f"Thanks for pushing {project} over the line. The client was really happy."]),
            ("Good news from the client", [f"Team - the client signed off {project} this morning.",
                                           "We can go through the details in the weekly call."]),
            (f"Update on {project}", ["Quick update: the vendor delivered the revised estimate "
                                      "and it is within budget.", "I'll share the numbers at standup."]),
            ("Call moved", [f"The {day} call with the partners moved to 11:00, same dial-in."]),
        ])
        if "Attached" in lines[0]:
            attachment = ("q3_report.csv", b"month,revenue\njul,100\naug,120\n")
    greet = rng.choice(["Hi Amy,", "Amy,", "Hello Amy,", "Hi all,", "Morning,"])
    sign = rng.choice([f"Thanks,\n{first}", f"Best,\n{name}", f"{first}", f"Cheers,\n{first}\n\n-- \n"
                       f"{name} | Senior PM | Brightpath\n+44 20 7946 0{rng.randint(100, 999)}"])
    text = f"{greet}\n\n" + "\n\n".join(lines) + f"\n\n{sign}\n"
    cc_only = rng.random() < 0.12
    to = (f"{rng.choice(FIRST)} {rng.choice(LAST)}", "team@brightpath.io") if cc_only \
        else ("Amy Lee", "amy.lee@brightpath.io")
    cc = [("Amy Lee", "amy.lee@brightpath.io")] if cc_only else \
        ([_person(rng, WORK_DOMAINS)] if rng.random() < 0.3 else None)
    headers = {"In-Reply-To": f"<{rng.randrange(10**9)}@brightpath.io>"} if rng.random() < 0.2 else None
    if headers:
        subject = "RE: " + subject
    html = _html([greet, *lines]) if rng.random() < 0.3 else None
    raw = _message(rng, when, (name, addr), subject, text, to=to, cc=cc, html=html, headers=headers,
                   attachment=attachment)
    return raw, asks and not cc_only


BRANDS = [("The Weekly Gardener", "news@weeklygardener.com"), ("Hacker Digest", "digest@hackerdigest.dev"),
          ("City Eats", "hello@cityeats.co.uk"), ("Runner's Notebook", "editors@runnersnotebook.org"),
          ("Brightside Books", "offers@brightsidebooks.com"), ("Nordic Home", "newsletter@nordichome.eu"),
          ("The Product Letter", "crew@productletter.io"), ("Local Cinema Club", "team@localcinemaclub.org"),
          ("Trailhead Outdoors", "deals@trailheadoutdoors.com"), ("Data Elixir", "updates@dataelixir.news")]


def _newsletter(rng: random.Random, when: datetime) -> tuple[bytes, bool]:
    brand, addr = rng.choice(BRANDS)
    issue = rng.randint(12, 480)
    kind = rng.choice(["editorial", "promo", "digest"])
    if kind == "editorial":
        subject = rng.choice([f"{brand} #{issue}: what we're reading", f"This week at {brand}",
                              f"Issue {issue} — the long weekend edition", "Your Sunday reading list"])
        paras = [rng.choice(["In this issue: three stories worth your time, a reader question, and "
                             "one chart that explains everything.", "Welcome back! Here's what caught "
                             "our eye this week."]),
                 rng.choice(["1. Why cities are planting tiny forests. Read more", "1. The quiet "
                             "return of the paper notebook. Read more", "1. A field guide to "
                             "autumn mushrooms. Read more"]),
                 "2. Reader mailbag: your best tips, answered. Read more",
                 "Thanks for reading. Forward this to a friend who'd enjoy it."]
    elif kind == "promo":
        pct = rng.choice([15, 20, 25, 30, 40, 50])
        subject = rng.choice([f"{pct}% off everything this weekend", f"Last chance: {pct}% off ends tonight",
                              "New arrivals you'll love", f"A little something for you: {pct}% off"])
        paras = [f"Members save {pct}% on everything until Sunday with code SAVE{pct}.",
                 "Shop new arrivals", "Free delivery on orders over £40."]
    else:
        subject = rng.choice([f"{brand} digest: {rng.randint(3, 12)} new posts", "Your weekly roundup",
                              "Top stories for you"])
        paras = [f"Here are the top stories from {brand} this week.",
                 "Trending: How we rebuilt our build pipeline — 5 min read",
                 "Popular: The case for boring technology — 8 min read"]
    footer = (f"You are receiving this because you subscribed to {brand}. Unsubscribe | "
              "Manage preferences | 12 Example Street, London")
    text = "\n\n".join(paras) + f"\n\n--\n{footer}\n"
    headers: dict[str, str] = {}
    hard = rng.random() < 0.15
    if not hard:
        domain = addr.split("@")[1]
        headers["List-Unsubscribe"] = f"<https://{domain}/u?id={rng.randrange(10**8)}>, " \
                                      f"<mailto:unsubscribe@{domain}>"
        if rng.random() < 0.5:
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if rng.random() < 0.4:
            headers["List-Id"] = f"{brand} <{issue % 7}.list.{domain}>"
        if rng.random() < 0.4:
            headers["Precedence"] = "bulk"
    html = _html(paras, footer=footer)
    return _message(rng, when, (brand, addr), subject, text, html=html,
                    html_only=rng.random() < 0.3, headers=headers), False


SHOPS = [("Bookshop Direct", "orders@bookshopdirect.co.uk"), ("Plantly", "noreply@plantly.com"),
         ("Northline Rail", "tickets@northline-rail.com"), ("CloudBox", "billing@cloudbox.io"),
         ("Corner Grocer", "receipts@cornergrocer.com"), ("Skyway Air", "no-reply@skywayair.com"),
         ("Harbour Bank", "alerts@harbourbank.com"), ("Ride", "receipts@ride-app.com"),
         ("Kitchen&Co", "store@kitchenandco.com"), ("StreamFlix", "info@streamflix.tv")]


def _receipt(rng: random.Random, when: datetime) -> tuple[bytes, bool]:
    shop, addr = rng.choice(SHOPS)
    number = rng.randint(100000, 999999)
    amount = f"£{rng.randint(3, 400)}.{rng.randint(0, 99):02d}"
    kind = rng.choice(["order", "receipt", "invoice", "shipped", "booking", "renewal"])
    subject, paras = {
        "order": (f"Your {shop} order #{number}", [f"Thanks for your order #{number}.",
                  f"Order total: {amount}", "We'll email you when it ships."]),
        "receipt": (rng.choice([f"Your receipt from {shop}", f"Receipt for your payment of {amount}"]),
                    [f"Receipt #{number}", f"Amount paid: {amount}", "Payment method: Visa •••• 4242"]),
        "invoice": (f"Invoice INV-{number} from {shop}", [f"Your invoice INV-{number} for {amount} is "
                    "attached.", "Amount due will be charged to your card on file."]),
        "shipped": (f"Your order #{number} has shipped", [f"Good news — order #{number} is on its way.",
                    f"Tracking number: TRK{number}XY", f"Order total: {amount}"]),
        "booking": (f"Booking confirmation {number}", [f"Your booking {number} is confirmed.",
                    f"Total paid: {amount}", f"Departs {rng.choice(DAYS)} 08:{rng.randint(10, 59)}"]),
        "renewal": (f"Your {shop} subscription renewed", ["Your subscription has renewed.",
                    f"Amount charged: {amount}", "Manage your subscription in your account."]),
    }[kind]
    text = "Hello Amy,\n\n" + "\n".join(paras) + f"\n\nThank you,\nThe {shop} team\n"
    headers: dict[str, str] = {}
    if rng.random() < 0.3:
        headers["Auto-Submitted"] = "auto-generated"
    if rng.random() < 0.15:
        headers["List-Unsubscribe"] = f"<https://{addr.split('@')[1]}/prefs>"
    html = _html(["Hello Amy,", *paras], footer=f"{shop} Ltd, registered in England") \
        if rng.random() < 0.6 else None
    attachment = (f"INV-{number}.pdf", b"%PDF-1.4\n% invoice\n") if kind == "invoice" else None
    return _message(rng, when, (shop, addr), subject, text, html=html, html_only=rng.random() < 0.2,
                    headers=headers, attachment=attachment), False


SERVICES = [("GitHub", "notifications@github.com"), ("LinkedIn", "messages-noreply@linkedin.com"),
            ("Slack", "feedback@slack.com"), ("Google", "no-reply@accounts.google.com"),
            ("Jira", "jira@brightpath.atlassian.net"),
            ("Dr. Patel's Surgery", "appointments@drpatelsurgery.nhs.uk"),
            ("Harbour Bank", "security@harbourbank.com"), ("CI", "builds@ci.brightpath.io"),
            ("Parcelgo", "tracking@parcelgo.com"), ("Calendar", "calendar-notification@google.com"),
            ("Strava", "no-reply@strava.com"), ("City Council", "do-not-reply@citycouncil.gov.uk")]


def _notification(rng: random.Random, when: datetime) -> tuple[bytes, bool]:
    service, addr = rng.choice(SERVICES)
    who = rng.choice(FIRST)
    n = rng.randint(10, 999)
    subject, paras = rng.choice({
        "GitHub": [(f"[brightpath/atlas] {who} commented on pull request #{n}",
                    [f"{who} commented on this pull request:", "> Looks good, one nit on naming."]),
                   (f"[brightpath/atlas] Run failed: CI - main ({n})", ["The workflow run failed."])],
        "LinkedIn": [(f"{who}, you appeared in {n} searches this week",
                      ["See who's looking at your profile."]),
                     (f"{who} {rng.choice(LAST)} has invited you to connect", ["Accept invitation"])],
        "Slack": [(f"{n} new messages in #general", [f"{who}: are we doing lunch?", "View in Slack"])],
        "Google": [("Security alert: new sign-in on Linux", ["Your Google Account was just signed in to "
                    "from a new Linux device.", "If this was you, you don't need to do anything."]),
                   (f"Your verification code is {n}{n}", ["Enter this code to continue."])],
        "Jira": [(f"[JIRA] ({'ATL'}-{n}) {who} assigned an issue to you", ["Assignee: Amy Lee",
                  "Priority: Medium"])],
        "Dr. Patel's Surgery": [(f"Reminder: appointment on {rng.choice(DAYS)} at 10:{n % 60:02d}",
                                 ["This is a reminder of your appointment.",
                                  "To cancel call 0161 496 0000."])],
        "Harbour Bank": [("Your statement is ready", ["Your monthly statement is ready to view online."]),
                         ("Security alert: password changed", ["Your password was changed today. "
                          "If this wasn't you, contact us immediately."])],
        "CI": [(f"Build #{n} passed on main", [f"Build #{n} passed in 4m 12s."]),
               (f"Build #{n} failed on main", [f"Build #{n} failed: 3 tests failing."])],
        "Parcelgo": [("Your parcel is out for delivery", [f"Parcel PG{n}{n} will arrive today between "
                      "10:00 and 14:00."]),
                     ("We missed you", ["We tried to deliver your parcel. Rebook online."])],
        "Calendar": [(f"Invitation: Design review @ {rng.choice(DAYS)} 15:00", [f"{who} has invited you "
                      "to this event.", "Going? Yes - Maybe - No"])],
        "Strava": [(f"{who} gave you kudos", ["Nice run this morning!"])],
        "City Council": [("Your bin collection day is changing", ["From next month your collection day "
                          f"moves to {rng.choice(DAYS)}."])],
    }[service])
    text = "\n\n".join(paras) + f"\n\n—\nYou are receiving this notification from {service}.\n"
    headers: dict[str, str] = {}
    if rng.random() < 0.5:
        headers["Auto-Submitted"] = "auto-generated"
    if service in ("GitHub", "Jira") or rng.random() < 0.2:
        headers["List-Unsubscribe"] = f"<https://{addr.split('@')[1]}/notifications/unsubscribe>"
    if service == "GitHub":
        headers["List-Id"] = "brightpath/atlas <atlas.brightpath.github.com>"
        headers["Precedence"] = "list"
    html = _html(paras) if rng.random() < 0.5 else None
    return _message(rng, when, (service, addr), subject, text, html=html, headers=headers), False


GENERATORS = {"personal": _personal, "work": _work, "newsletter": _newsletter, "receipt": _receipt,
              "notification": _notification}


def generated_examples(per_category: int = 70, seed: int = SEED) -> list[Example]:
    """Deterministic generated mail: ``per_category`` messages for each non-spam category."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    out: list[Example] = []
    for category, make in GENERATORS.items():
        for i in range(per_category):
            when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            raw, needs_reply = make(rng, when)
            ident = f"generated/{category}/{i:03d}"
            out.append(Example(ident, raw, category, needs_reply, "generated", ident))
    return out


def labelled_set(root: Path = SPAMASSASSIN) -> list[Example]:
    """The whole labelled set (SpamAssassin part empty when its folder is absent)."""
    return spamassassin_examples(root) + generated_examples()


def split(examples: list[Example], name: str) -> list[Example]:
    return [e for e in examples if e.split == name]


def train_shipped_model() -> Path:
    """Retrain ``sort_model.json`` on the train split (needs the SpamAssassin folder)."""
    from os1.tools.mail import sort

    examples = labelled_set()
    if not any(e.source == "spamassassin" for e in examples):
        raise SystemExit(f"{SPAMASSASSIN} is missing; the shipped model is trained with it")
    train = split(examples, "train")
    model = sort.train(((e.message, e.category) for e in train),
                       meta={"trained_on": "os1 labelled set, train split (tests/tools/sorting/labelled.py)",
                             "sources": f"generated (seed {SEED}) + SpamAssassin test corpus (Apache-2.0)"})
    sort.MODEL_FILE.write_text(model.to_json() + "\n", encoding="utf-8")
    sort.load_model.cache_clear()
    return sort.MODEL_FILE


def main(argv: list[str]) -> None:
    if "--train" in argv:
        print(f"wrote {train_shipped_model()}")
        return
    examples = labelled_set()
    counts = Counter((e.split, e.category) for e in examples)
    for name in ("train", "test"):
        print(name, {c: counts[(name, c)] for c in sorted({e.category for e in examples})})
    print("total", len(examples))


if __name__ == "__main__":
    main(sys.argv[1:])
