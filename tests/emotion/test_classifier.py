"""The shipped emotion classifier, run for real: verified before use, sensible on clear
messages, and as good on GoEmotions dev as the benchmark says (when the data is here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from os1.emotion import classifier as module
from os1.emotion.classifier import load_classifier, read_from_probs
from os1.emotion.labels import LABELS
from os1.errors import ModelError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "goemotions"


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    return load_classifier()


@pytest.mark.parametrize(("text", "groups"), [
    ("Thank you so much, this really means a lot to me", {"joy"}),
    ("I miss my dad so much since he died", {"sadness"}),
    ("I'm terrified about the surgery tomorrow", {"fear"}),
    ("That is absolutely disgusting, I feel sick", {"disgust"}),
    ("Stop lying to me, I'm so angry right now", {"anger"}),
    ("Wow, I did not see that coming at all!", {"surprise"}),
    ("What time does the library open on Sundays?", {"neutral", "surprise"}),
])
def test_clear_messages_read_as_expected(shipped, text: str, groups: set[str]) -> None:
    read = shipped.read([text])[0]
    assert read.group in groups, (text, read.labels, read.ekman)
    assert set(read.scores) == set(LABELS) and all(0 <= v <= 1 for v in read.scores.values())


def test_valence_follows_the_feeling(shipped) -> None:
    happy, sad = shipped.read(["Best day ever, I'm so happy!", "I feel so lonely and sad"])
    assert happy.valence > 0.2 > -0.2 > sad.valence


def test_a_tampered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (module.MODEL_FILE, "thresholds.json"):
        shutil.copy(module.MODEL_DIR / name, tmp_path / name)
    with (tmp_path / module.MODEL_FILE).open("r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(module, "MODEL_DIR", tmp_path)
    with pytest.raises(ModelError, match="doesn't match its pinned sha256"):
        load_classifier()
    (tmp_path / module.MODEL_FILE).unlink()
    with pytest.raises(ModelError, match="missing"):
        load_classifier()


def test_probabilities_become_a_read() -> None:
    probs = np.full(len(LABELS), 0.01, dtype=np.float32)
    probs[LABELS.index("grief")] = 0.8
    probs[LABELS.index("sadness")] = 0.6
    read = read_from_probs(probs, np.full(len(LABELS), 0.5))
    assert read.labels == ["grief", "sadness"] and read.group == "sadness"
    assert read.valence < -0.5 and read.ekman["sadness"] > 0.8 > read.ekman["joy"]


@pytest.mark.skipif(not (DATA / "dev.tsv").is_file(),
                    reason=f"GoEmotions isn't at {DATA} (it isn't part of a user's clone)")
def test_goemotions_dev_sample(shipped) -> None:
    """On 1,000 dev messages: well above chance and close to the benchmark's full-dev figure."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
    from tune_thresholds import ekman_matrix, f1, load

    texts, gold = load(DATA / "dev.tsv")
    probs, groups = shipped.probabilities(texts[:1000])
    fine = f1(probs >= shipped.thresholds, gold[:1000]).mean()
    ekman = f1(groups >= shipped.ekman_thresholds, ekman_matrix(gold[:1000])).mean()
    assert fine > 0.40 and ekman > 0.55, (fine, ekman)
