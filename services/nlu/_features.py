"""Feature blocks side by side, and a linear head on top, stored as plain arrays (no pickle).

A block is either TF-IDF over n-grams (`NgramTfidf`) or a scaled sentence embedding
(`EmbeddingBlock`). `FeatureStack` concatenates the blocks' rows into one sparse matrix;
`LinearHead` holds the logistic-regression weights. Both save to a ``.npz`` file read with
``allow_pickle=False`` plus a JSON spec, so a saved model loads under any scikit-learn version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from services.nlu._encoder import ENCODER_NAME, SentenceEncoder, load_encoder
from services.nlu._vectorize import NgramTfidf, Rows

Progress = Callable[[str, int, int], None]
# Largest batch scored without scipy (see `FeatureStack.scores`): at 25 texts that path
# took 36 µs a text against 51, at 100 both took about 29.
DIRECT_MAX_TEXTS = 64


class Block(Protocol):
    """One group of columns: fitted on texts, then turning texts into rows."""

    scale: float

    @property
    def width(self) -> int: ...

    def fit_transform(self, texts: Sequence[str]) -> Any: ...

    def transform(self, texts: Sequence[str]) -> Any: ...

    def spec(self) -> dict[str, Any]: ...

    def arrays(self) -> dict[str, np.ndarray]: ...


class EmbeddingBlock:
    """Sentence embeddings (unit length) times a fixed weight relative to the TF-IDF blocks."""

    def __init__(
        self,
        *,
        scale: float = 1.0,
        layers: int | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.scale = float(scale)
        self.layers = layers
        self._encoder = encoder

    @property
    def encoder(self) -> SentenceEncoder:
        """Return the encoder, loading the shipped one on first use."""
        if self._encoder is None:
            self._encoder = load_encoder(layers=self.layers)
        return self._encoder

    @property
    def width(self) -> int:
        """Return the embedding width."""
        return self.encoder.dimension

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (nothing to fit: the encoder is frozen)."""
        return self.transform(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts and apply the block weight."""
        embedded = self.encoder.encode(texts)
        if self.scale != 1.0:
            embedded *= np.float32(self.scale)
        return embedded

    def spec(self) -> dict[str, Any]:
        """Describe the block for metadata."""
        return {
            "kind": "embedding",
            "encoder": self.encoder.name if self._encoder is not None else ENCODER_NAME,
            "layers": self.layers,
            "scale": self.scale,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Return no arrays: the encoder weights come from their own package."""
        return {}


class _Ngrams(NgramTfidf):
    """TF-IDF block with the block interface (its rows are already unit length)."""

    scale = 1.0


class FeatureStack:
    """Several blocks whose rows are concatenated into one CSR matrix."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks)

    def fit_transform(self, texts: Sequence[str], progress: Progress | None = None) -> Any:
        """Fit every block on the texts and return their side-by-side rows."""
        parts = []
        for index, block in enumerate(self.blocks):
            if progress is not None:
                progress(f"features: {block.spec()['kind']}", index, len(self.blocks))
            parts.append(block.fit_transform(texts))
        if progress is not None:
            progress("features", len(self.blocks), len(self.blocks))
        return _hstack(parts)

    def transform(self, texts: Sequence[str]) -> Any:
        """Return the side-by-side rows of every block."""
        return _hstack([block.transform(texts) for block in self.blocks])

    def scores(self, texts: Sequence[str], head: LinearHead) -> np.ndarray:
        """Return ``head.decision_function(self.transform(texts))``.

        A small batch of n-gram rows is scored straight from each block's arrays: building,
        stacking and multiplying scipy matrices cost about 0.6 ms a call, several times the
        arithmetic for the dozen texts of a live batch. A large one goes through scipy,
        which is faster there.
        """
        direct = len(texts) <= DIRECT_MAX_TEXTS
        if not direct or not all(isinstance(block, NgramTfidf) for block in self.blocks):
            return head.decision_function(self.transform(texts))
        out = np.zeros((len(texts), head.coef.shape[0]), dtype=np.float32)
        offset = 0
        for block in self.blocks:
            assert isinstance(block, NgramTfidf)
            head.accumulate(out, block.rows(texts), offset)
            offset += block.width
        return out.astype(np.float64) + head.intercept

    def layout(self) -> list[tuple[int, float]]:
        """Return (width, scale) per block, in column order."""
        return [(block.width, block.scale) for block in self.blocks]

    def groups(self) -> list[tuple[int, int]]:
        """Return column ranges of consecutive blocks of the same kind (TF-IDF, embedding)."""
        ranges: list[tuple[int, int]] = []
        kinds: list[str] = []
        start = 0
        for block in self.blocks:
            kind = block.spec()["kind"]
            end = start + block.width
            if kinds and kinds[-1] == kind:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
                kinds.append(kind)
            start = end
        return ranges

    @property
    def uses_encoder(self) -> bool:
        """Tell whether any block needs the sentence encoder."""
        return any(isinstance(block, EmbeddingBlock) for block in self.blocks)

    def specs(self) -> list[dict[str, Any]]:
        """Describe the blocks for metadata."""
        return [block.spec() for block in self.blocks]

    def arrays(self) -> dict[str, np.ndarray]:
        """Return every block's arrays under ``block{i}.`` keys."""
        out: dict[str, np.ndarray] = {}
        for index, block in enumerate(self.blocks):
            out.update({f"block{index}.{k}": v for k, v in block.arrays().items()})
        return out

    @classmethod
    def from_arrays(
        cls,
        specs: Sequence[dict[str, Any]],
        arrays: dict[str, np.ndarray],
        *,
        encoder: SentenceEncoder | None = None,
    ) -> FeatureStack:
        """Rebuild fitted blocks from their specs and saved arrays (and an encoder, if given)."""
        blocks: list[Block] = []
        for index, spec in enumerate(specs):
            prefix = f"block{index}."
            if spec["kind"] == "ngram":
                own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
                blocks.append(_Ngrams.from_arrays(spec, own))
            elif spec["kind"] == "embedding":
                blocks.append(
                    EmbeddingBlock(scale=spec["scale"], layers=spec.get("layers"), encoder=encoder)
                )
            else:
                raise ValueError(f"unknown feature block {spec['kind']!r}")
        return cls(blocks)


def ngrams(analyzer: str, ngram_range: tuple[int, int], min_df: int = 1) -> Block:
    """Return an unfitted TF-IDF block."""
    return _Ngrams(analyzer=analyzer, ngram_range=ngram_range, min_df=min_df)


def _hstack(parts: Sequence[Any]) -> Any:
    """Concatenate sparse and dense blocks into one float32 CSR matrix."""
    converted = [
        part if sparse.issparse(part) else sparse.csr_matrix(part, dtype=np.float32)
        for part in parts
    ]
    if len(converted) == 1:
        return converted[0].tocsr()
    return sparse.hstack(converted, format="csr", dtype=np.float32)


class LinearHead:
    """Class scores as ``X @ coef.T + intercept``: the fitted logistic regression, as arrays."""

    def __init__(self, classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.classes_ = np.asarray(list(classes))
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        if self.coef.ndim != 2 or self.coef.shape[0] != self.intercept.shape[0]:
            raise ValueError("coef and intercept do not fit together")
        # One row per feature: a product with the transposed view copied it on every call.
        self._by_feature = np.ascontiguousarray(self.coef.T)

    @classmethod
    def from_classifier(cls, classifier: Any) -> LinearHead:
        """Take the weights of a fitted scikit-learn linear classifier."""
        coef = np.asarray(classifier.coef_, dtype=np.float32)
        intercept = np.asarray(classifier.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # binary: two symmetric columns, as in logits_of
            coef = np.vstack([-coef / 2.0, coef / 2.0])
            intercept = np.concatenate([-intercept / 2.0, intercept / 2.0])
        # Round to the float16 that `arrays` stores, so a saved model predicts exactly alike.
        coef = coef.astype(np.float16).astype(np.float32)
        return cls([str(c) for c in classifier.classes_], coef, intercept)

    def decision_function(self, matrix: Any) -> np.ndarray:
        """Return one score column per class."""
        scores = np.asarray(matrix @ self._by_feature, dtype=np.float64)
        return scores + self.intercept

    def accumulate(self, out: np.ndarray, rows: Rows, offset: int) -> None:
        """Add the scores of one block's rows, its columns starting at ``offset``, to ``out``."""
        filled = rows.indptr[1:] > rows.indptr[:-1]
        if not filled.any():
            return
        weighted = self._by_feature[rows.columns + offset] * rows.data[:, None]
        out[filled] += np.add.reduceat(weighted, rows.indptr[:-1][filled], axis=0)

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the weights as arrays (coef stored as float16 to keep models small)."""
        return {"head.coef": self.coef.astype(np.float16), "head.intercept": self.intercept}

    @classmethod
    def from_arrays(cls, classes: Sequence[str], arrays: dict[str, np.ndarray]) -> LinearHead:
        """Rebuild a head from saved arrays."""
        return cls(classes, arrays["head.coef"].astype(np.float32), arrays["head.intercept"])
