"""Synthetic memory stores for the memory benchmarks: many plausible, varied memories of one
person, embedded with the real embedder and written through the real schema (so the FTS5
triggers index them) in bulk."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from os1.memory.embed import Embedder
from os1.store import Store
from os1.store import schema as s

NAMES = ["Amy", "Paul", "Catherine", "Maya", "Lewis", "Rosa", "Jonah", "Priya", "Tom", "Ines",
         "Olu", "Hana", "Marco", "Sofia", "Dev", "Grace", "Ivan", "Leila", "Sam", "Noor"]
RELATIONS = ["sister", "brother", "oldest friend", "neighbour", "colleague", "boss", "cousin",
             "ex-wife", "mother", "father", "landlord", "gym buddy", "dentist", "niece", "uncle"]
ACTIVITIES = ["playing a video game about a little alien", "running by the canal",
              "baking sourdough", "learning the piano", "reading crime novels",
              "watching old films", "gardening", "writing letters", "cycling to work",
              "doing crosswords", "swimming at the lido", "painting watercolours",
              "fixing up an old motorbike", "listening to jazz records", "climbing"]
PLACES = ["Leeds", "Bristol", "Lisbon", "the seaside", "the allotment", "the library",
          "the office", "a tiny flat", "the hospital", "the café on the corner", "Madrid",
          "the mountains", "the lake house", "university", "the night market"]
FEELINGS = ["anxious", "lonely", "excited", "proud", "tired", "hopeful", "angry", "grateful",
            "nervous", "relieved"]
CAUSES = ["the divorce papers", "the new job", "a letter from home", "the interview",
          "a quiet weekend", "the move", "money worries", "the birthday party", "a bad night's sleep",
          "the exam results"]
FOODS = ["Thai curry", "olives", "black coffee", "dark chocolate", "sushi", "porridge",
         "spicy noodles", "lemon cake", "mushrooms", "tea with honey"]


def sentence(rng: random.Random, user: str) -> tuple[str, str, str, str]:
    """(kind, about, topic, content)."""
    choice = rng.randrange(6)
    name, relation = rng.choice(NAMES), rng.choice(RELATIONS)
    if choice == 0:
        return ("person", name, relation, f"{name} is {user}'s {relation}; they often talk about "
                f"{rng.choice(ACTIVITIES)}.")
    if choice == 1:
        activity = rng.choice(ACTIVITIES)
        return ("preference", user, activity, f"{user} loves {activity}, especially at "
                f"{rng.choice(PLACES)}.")
    if choice == 2:
        return ("plan", user, f"visit {name.lower()}", f"{user} plans to meet {name} at "
                f"{rng.choice(PLACES)} for {rng.choice(FOODS)}.")
    if choice == 3:
        return ("feeling", user, rng.choice(CAUSES), f"{user} felt {rng.choice(FEELINGS)} about "
                f"{rng.choice(CAUSES)}.")
    if choice == 4:
        return ("event", user, rng.choice(PLACES), f"{user} went to {rng.choice(PLACES)} with "
                f"{name}, their {relation}, and it rained.")
    return ("fact", user, "food", f"{user} can't stand {rng.choice(FOODS)} but adores "
            f"{rng.choice(FOODS)}.")


def fill(store: Store, user_id: int, user: str, embedder: Embedder | None, count: int, *,
         seed: int = 7, now: datetime | None = None, batch: int = 2048,
         log: Any = None) -> dict[str, float]:
    """Add ``count`` memories to ``user_id``. Returns seconds spent embedding and writing."""
    rng = random.Random(seed + count)
    now = now or datetime.now(UTC)
    embed_s = write_s = 0.0
    done = 0
    while done < count:
        n = min(batch, count - done)
        rows = [sentence(rng, user) for _ in range(n)]
        started = time.perf_counter()
        vectors = embedder.embed([r[3] for r in rows]) if embedder else None
        embed_s += time.perf_counter() - started
        started = time.perf_counter()
        with store.engine.begin() as conn:
            values = []
            for kind, about, topic, content in rows:
                when = now - timedelta(days=rng.uniform(0, 720))
                values.append({"user_id": user_id, "kind": kind, "about": about, "topic": topic,
                               "content": content, "importance": rng.choice([0.2, 0.4, 0.6, 0.8]),
                               "learned_at": when, "last_seen_at": when, "times_seen": 1,
                               "valid": True, "origin": "extracted"})
            first = conn.execute(s.memories.insert().returning(s.memories.c.id), values)
            ids = [row[0] for row in first]
            if vectors is not None and embedder is not None:
                conn.execute(s.memory_vectors.insert(), [
                    {"memory_id": memory_id, "user_id": user_id, "model": embedder.name,
                     "vector": np.asarray(vector, dtype=np.float32).tobytes()}
                    for memory_id, vector in zip(ids, vectors, strict=True)])
        write_s += time.perf_counter() - started
        done += n
        if log:
            log(f"  {done}/{count} memories")
    return {"embed_s": embed_s, "write_s": write_s}


QUERIES = [
    "How did the dinner with Amy go?", "what's my sister's name", "I'm anxious about the move",
    "Do you remember what I like to eat?", "who is Paul again", "I went running this morning",
    "Should I call Catherine about the papers?", "what was I worried about in June?",
    "any ideas for the weekend at the seaside", "I finally finished the watercolour",
    "My boss was awful today", "remind me what my niece likes", "I can't sleep again",
    "planning a trip to Lisbon", "what games do I play at night?", "Rosa's birthday is coming",
    "I'm proud of the interview", "tell me about my gym buddy", "coffee or tea?",
    "I miss university",
]
