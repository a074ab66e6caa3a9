"""BM25 side of the index build: course text for BM25 and the precomputed document x term weight matrix.

Scores are precomputed as a sparse matrix (the bm25s approach), so a query is a column sum at search time
(``index.retrievers.Bm25Retriever``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from index import catalog as cat
from index import textprep

BM25_K1 = 1.2
BM25_B = 0.75


def bm25_text(course: dict[str, Any]) -> str:
    """Text indexed by BM25; the title counts twice."""
    skills = " ; ".join(cat.skill_labels(course))
    return " \n ".join(
        [course["title"], course["title"], course["description"], skills, course.get("target_group", "")]
    )


def build_bm25(texts: Sequence[str]) -> tuple[sp.csc_matrix, list[str], list[str]]:
    """BM25 weight matrix (docs x terms, CSC), term list, compound vocabulary."""
    analyzer = textprep.Analyzer()
    base = [analyzer.base_terms(t) for t in texts]
    vocabulary = sorted(textprep.build_vocabulary(base))
    analyzer = textprep.Analyzer(vocabulary)
    term_ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.float32)
    for doc, terms in enumerate(base):
        expanded: list[str] = []
        for t in terms:
            expanded.append(t)
            expanded.extend(analyzer.split_compound(t))
        lengths[doc] = len(expanded)
        for t in expanded:
            tid = term_ids.setdefault(t, len(term_ids))
            rows.append(doc)
            cols.append(tid)
    n = len(texts)
    tf = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(term_ids)))
    tf.sum_duplicates()
    df = np.bincount(tf.indices, minlength=len(term_ids)).astype(np.float32)
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    avgdl = float(lengths.mean()) if n else 1.0
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(avgdl, 1e-6))
    doc_of_entry = np.repeat(np.arange(n), np.diff(tf.indptr))
    data = tf.data * (BM25_K1 + 1) / (tf.data + norm[doc_of_entry]) * idf[tf.indices]
    weights = sp.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape).tocsc()
    terms = [""] * len(term_ids)
    for t, i in term_ids.items():
        terms[i] = t
    return weights, terms, vocabulary
