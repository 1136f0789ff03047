"""TF-IDF over word and char_wb n-grams, written for transform speed on streaming batches.

Same maths as scikit-learn's TfidfVectorizer (smooth idf, sublinear tf, L2 rows), but unknown
n-grams are skipped with a dict lookup instead of a caught KeyError, and each word's character
n-gram ids are cached, so a stream of everyday words costs one lookup per word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Self

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

_WORDS = re.compile(r"\w+")
_SPACES = re.compile(r"\s\s+")
_CACHE_WORDS = 100_000


def normalise(text: str) -> str:
    """Lower-case and strip accents, cheaply for plain ASCII."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """Return word n-grams of the given lengths from normalised text."""
    tokens = _WORDS.findall(text)
    grams = list(tokens) if low == 1 else []
    for n in range(max(2, low), high + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Return character n-grams taken inside space-padded words."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


@dataclass(slots=True)
class Rows:
    """CSR rows: row ``i`` holds ``columns[indptr[i]:indptr[i + 1]]``, sorted, with ``data``."""

    indptr: np.ndarray
    columns: np.ndarray
    data: np.ndarray


class NgramTfidf:
    """Fit a vocabulary and idf weights, then turn texts into L2-normalised TF-IDF rows."""

    def __init__(
        self, analyzer: str = "word", ngram_range: tuple[int, int] = (1, 1), min_df: int = 1
    ) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_df = min_df

    def _grams(self, text: str) -> list[str]:
        """Return the n-grams of one normalised text according to the analyzer."""
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, low, high)
        return word_ngrams(text, low, high)

    def fit(self, texts: Iterable[str], y: Any = None) -> NgramTfidf:
        """Learn the vocabulary (n-grams in at least `min_df` texts) and idf weights."""
        self._fit_grams(texts)
        return self

    def fit_transform(self, texts: Iterable[str], y: Any = None) -> sparse.csr_matrix:
        """Fit, then vectorise the same texts without splitting them into n-grams twice."""
        grams = self._fit_grams(texts)
        lookup = self.vocabulary_.get
        ids = [[i for i in map(lookup, doc) if i is not None] for doc in grams]
        return self._matrix(ids)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Vectorise texts; n-grams outside the vocabulary are ignored."""
        return self._matrix(self._ids(texts))

    def rows(self, texts: Sequence[str]) -> Rows:
        """The rows of ``transform`` as arrays, without building a scipy matrix."""
        return self._rows(self._ids(texts))

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        ids: list[list[int]] = []
        for text in texts:
            row: list[int] = []
            self._extend_ids(row, normalise(text))
            ids.append(row)
        return ids

    def _fit_grams(self, texts: Iterable[str]) -> list[list[str]]:
        """Learn vocabulary and idf; return each text's n-grams for reuse."""
        grams = [self._grams(normalise(text)) for text in texts]
        document_frequency: Counter[str] = Counter()
        for doc in grams:
            document_frequency.update(set(doc))
        kept = sorted(gram for gram, df in document_frequency.items() if df >= self.min_df)
        self.vocabulary_ = {gram: index for index, gram in enumerate(kept)}
        df = np.asarray([document_frequency[gram] for gram in kept], dtype=np.float64)
        self.idf_ = (np.log((1.0 + len(grams)) / (1.0 + df)) + 1.0).astype(np.float32)
        self._word_cache: dict[str, list[int]] = {}
        return grams

    def _matrix(self, ids: list[list[int]]) -> sparse.csr_matrix:
        """Turn per-text vocabulary ids into L2-normalised sublinear TF-IDF rows."""
        lengths = [len(row) for row in ids]
        columns = np.fromiter(chain.from_iterable(ids), dtype=np.int32, count=sum(lengths))
        rows = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        counts = sparse.csr_matrix(
            (np.ones(columns.size, dtype=np.float32), (rows, columns)),
            shape=(len(lengths), len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        np.log(counts.data, out=counts.data)
        counts.data += 1.0  # sublinear tf: 1 + log(count)
        counts.data *= self.idf_[counts.indices]
        return _l2_rows(counts)

    def _rows(self, ids: list[list[int]]) -> Rows:
        """``_matrix``'s rows as plain arrays, counted by sorting row * width + column keys.

        For the dozen texts of a live batch, scipy's checks and conversions cost more than
        the arithmetic; for a thousand, its per-row sorting beats one sort of every key.
        """
        n = len(ids)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        columns = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        keys = np.repeat(np.arange(n, dtype=np.int64) * len(self.vocabulary_), lengths) + columns
        unique, counts = np.unique(keys, return_counts=True)
        row_of, column = np.divmod(unique, len(self.vocabulary_))
        data = np.log(counts.astype(np.float32))
        data += 1.0  # sublinear tf: 1 + log(count)
        data *= self.idf_[column]
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        data /= norms[row_of].astype(np.float32)
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(row_of, minlength=n), out=indptr[1:])
        return Rows(indptr, column.astype(np.int32), data)

    def _extend_ids(self, ids: list[int], text: str) -> None:
        """Append the vocabulary ids of a normalised text's known n-grams."""
        lookup = self.vocabulary_.get
        if self.analyzer != "char_wb":
            ids += [i for i in map(lookup, self._grams(text)) if i is not None]
            return
        cache = self._cache()
        low, high = self.ngram_range
        for word in text.split():
            known = cache.get(word)
            if known is None:
                padded = f" {word} "
                size = len(padded)
                known = [
                    i
                    for n in range(low, min(high, size) + 1)
                    for start in range(size - n + 1)
                    if (i := lookup(padded[start : start + n])) is not None
                ]
                if len(cache) >= _CACHE_WORDS:  # bounded: typos must not grow memory forever
                    cache.clear()
                cache[word] = known
            ids += known

    def _cache(self) -> dict[str, list[int]]:
        """Return the per-word id cache."""
        cache: dict[str, list[int]] | None = self.__dict__.get("_word_cache")
        if cache is None:
            cache = self._word_cache = {}
        return cache

    @property
    def width(self) -> int:
        """Return the number of columns this block produces."""
        return len(self.vocabulary_)

    def spec(self) -> dict[str, Any]:
        """Describe the block for metadata (everything but the fitted arrays)."""
        return {
            "kind": "ngram",
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the fitted state as plain arrays (vocabulary in column order, idf)."""
        vocabulary = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        return {"vocabulary": np.asarray(vocabulary, dtype=str), "idf": self.idf_}

    @classmethod
    def from_arrays(cls, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted block from `spec` and `arrays` output."""
        low, high = spec["ngram_range"]
        block = cls(analyzer=spec["analyzer"], ngram_range=(low, high), min_df=spec["min_df"])
        block.vocabulary_ = {str(gram): i for i, gram in enumerate(arrays["vocabulary"].tolist())}
        block.idf_ = np.asarray(arrays["idf"], dtype=np.float32)
        return block


def _l2_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Scale each CSR row to unit length, in place.

    Same result as scikit-learn's ``normalize(norm="l2")`` without its argument checks,
    which cost more than the arithmetic on the few rows of a live batch.
    """
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=matrix.data * matrix.data, minlength=matrix.shape[0]))
    norms[norms == 0.0] = 1.0
    matrix.data /= norms[rows].astype(matrix.data.dtype)
    return matrix
