"""A tiny random BERT-style encoder, written to disk like the shipped one, for fast tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services.nlu._encoder import SentenceEncoder

WORDS = (
    "where",
    "is",
    "my",
    "order",
    "parcel",
    "package",
    "delivery",
    "refund",
    "money",
    "back",
    "return",
    "password",
    "login",
    "reset",
    "forgot",
    "hello",
    "hi",
    "thanks",
    "goodbye",
    "card",
    "lost",
    "stolen",
    "fee",
    "charged",
    "twice",
    "the",
    "a",
    "i",
    "want",
    "to",
    "please",
)
HIDDEN, HEADS, LAYERS, INTERMEDIATE = 16, 2, 2, 32


def write_tiny_encoder(folder: Path, seed: int = 0) -> Path:
    """Write config.json, model.safetensors and tokenizer.json of a random 2-layer encoder."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    rng = np.random.default_rng(seed)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.3).astype(np.float32)

    weights = {
        "embeddings.word_embeddings.weight": rand(len(vocab), HIDDEN),
        "embeddings.position_embeddings.weight": rand(64, HIDDEN),
        "embeddings.token_type_embeddings.weight": rand(2, HIDDEN),
        "embeddings.LayerNorm.weight": 1.0 + rand(HIDDEN),
        "embeddings.LayerNorm.bias": rand(HIDDEN),
    }
    for index in range(LAYERS):
        p = f"encoder.layer.{index}."
        for name in ("query", "key", "value"):
            weights[f"{p}attention.self.{name}.weight"] = rand(HIDDEN, HIDDEN)
            weights[f"{p}attention.self.{name}.bias"] = rand(HIDDEN)
        weights[f"{p}attention.output.dense.weight"] = rand(HIDDEN, HIDDEN)
        weights[f"{p}attention.output.dense.bias"] = rand(HIDDEN)
        weights[f"{p}attention.output.LayerNorm.weight"] = 1.0 + rand(HIDDEN)
        weights[f"{p}attention.output.LayerNorm.bias"] = rand(HIDDEN)
        weights[f"{p}intermediate.dense.weight"] = rand(INTERMEDIATE, HIDDEN)
        weights[f"{p}intermediate.dense.bias"] = rand(INTERMEDIATE)
        weights[f"{p}output.dense.weight"] = rand(HIDDEN, INTERMEDIATE)
        weights[f"{p}output.dense.bias"] = rand(HIDDEN)
        weights[f"{p}output.LayerNorm.weight"] = 1.0 + rand(HIDDEN)
        weights[f"{p}output.LayerNorm.bias"] = rand(HIDDEN)
    save_file(weights, str(folder / "model.safetensors"))
    config = {
        "name": "tiny-test-encoder",
        "hidden_size": HIDDEN,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "intermediate_size": INTERMEDIATE,
        "layer_norm_eps": 1e-12,
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_encoder(tmp_path_factory.mktemp("tiny_encoder"))


@pytest.fixture(scope="session")
def tiny_encoder(tiny_encoder_dir: Path) -> SentenceEncoder:
    return SentenceEncoder.from_directory(tiny_encoder_dir)
