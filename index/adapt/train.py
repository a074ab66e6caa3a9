"""Contrastive LoRA fine-tuning of the converted multilingual-e5-small on CPU (``make adapt``).

    python -m index.adapt.train [--out index/adapt/adapter] [--seed 15] [--eval-dev]

Why it is shaped like this (2 shared cores, <= 20 minutes):

* LoRA (``peft``) only on the top ``layers`` transformer layers. The layers below stay frozen, so every
  training text runs through them once (no gradient) and their output is kept in memory; each step runs only
  the top layers. The adapter is small (a few MB) and merged into the base weights at setup
  (``index.adapt.merge``), so inference costs nothing extra.
* ``text`` pairs (ESCO, titles, problem -> skill concept): in-batch negatives, gradients through both sides.
* ``courses`` pairs (problem -> courses, skill label -> courses): a softmax over the whole catalog against
  the target weights of ``index.adapt.pairs``, so every course is a negative and the closest wrong ones are
  the hard negatives. The course vectors come from the model being trained, recomputed (no gradient) every
  ``refresh_every`` steps; only the short queries carry gradients, which keeps long course texts out of
  the backward pass.
* Pooling mirrors the e5 engine (``e5.pipeline``): prompt, ``<s> ... </s>``, mean over all pieces, L2 norm.

Deterministic for a given seed, thread count and machine: fixed data order, seeded LoRA initialisation
and dropout, fp32 throughout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index import catalog as cat
from index.adapt.pairs import DATA_DIR, ROOT, Pair, read_pairs
from index.build import passage_text

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ADAPTER_DIR = Path(__file__).resolve().parent / "adapter"
BASE_MODEL_DIR = ROOT / "var" / "models" / "multilingual-e5-small"
TRAINING_FILE = "kc_training.json"  # next to the adapter: configuration, data digest, timings, losses


@dataclass
class TrainConfig:
    seed: int = 15
    layers: int = 4  # LoRA on the top N of the 12 layers
    rank: int = 8
    alpha: int = 16
    lora_dropout: float = 0.1
    learning_rate: float = 3e-4
    epochs: int = 1
    batch_size: int = 48
    temperature: float = 0.05
    refresh_every: int = 48
    max_query_pieces: int = 64
    max_passage_pieces: int = 128
    max_course_pieces: int = 256
    threads: int = 2


# --------------------------------------------------------------------------------------------- model


class TopLayerEncoder:
    """The e5 BERT split in two: frozen bottom layers (run once per text, cached) and LoRA top layers."""

    def __init__(self, model_dir: Path, config: TrainConfig) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import BertModel
        from transformers.utils import logging as hf_logging

        from e5.tokens import E5Tokenizer

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self.torch = torch
        self.config = config
        self.tokenizer = E5Tokenizer(model_dir)
        bert = BertModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
        bert.eval()
        for p in bert.parameters():
            p.requires_grad_(False)
        n_layers = bert.config.num_hidden_layers
        if not 1 <= config.layers <= n_layers:
            raise ValueError(f"layers must be between 1 and {n_layers}")
        self.split = n_layers - config.layers
        top = "|".join(str(i) for i in range(self.split, n_layers))
        lora = LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            lora_dropout=config.lora_dropout,
            bias="none",
            target_modules=rf".*encoder\.layer\.({top})\.(attention\.self\.(query|key|value)|attention\.output\.dense"
            r"|intermediate\.dense|output\.dense)",
        )
        torch.manual_seed(config.seed)  # LoRA's A matrices are initialised randomly
        self.model = get_peft_model(bert, lora)
        self.bert = self.model.base_model.model
        self._cache: dict[tuple[str, str], torch.Tensor] = {}

    def trainable(self) -> list:
        return [p for p in self.model.parameters() if p.requires_grad]

    def _mask(self, attention):
        torch = self.torch
        return (1.0 - attention[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def cache(self, texts: Sequence[str], kind: str, max_pieces: int, batch_size: int = 32) -> None:
        """Run the frozen bottom layers once for every new text (longest first, in batches)."""
        torch = self.torch
        todo = sorted({t for t in texts if (kind, t) not in self._cache}, key=len, reverse=True)
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            ids, attention = self._padded(chunk, kind, max_pieces)
            with torch.no_grad():
                hidden = self.bert.embeddings(input_ids=ids)
                mask = self._mask(attention)
                for layer in self.bert.encoder.layer[: self.split]:
                    hidden = layer(hidden, mask)
            lengths = attention.sum(dim=1).tolist()
            for row, text in enumerate(chunk):
                self._cache[(kind, text)] = hidden[row, : int(lengths[row])].clone()

    def _padded(self, texts: Sequence[str], kind: str, max_pieces: int):
        torch = self.torch
        tok = self.tokenizer
        rows = [[tok.bos, *ids[:max_pieces], tok.eos] for ids in tok.token_ids(list(texts), kind)]
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), tok.pad, dtype=torch.long)
        attention = torch.zeros((len(rows), length), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            attention[i, : len(r)] = 1
        return ids, attention

    def encode(self, texts: Sequence[str], kind: str):
        """Pooled, normalised vectors of cached texts through the top layers (with gradient if enabled)."""
        torch = self.torch
        states = [self._cache[(kind, t)] for t in texts]
        length = max(s.shape[0] for s in states)
        hidden = torch.zeros((len(states), length, states[0].shape[1]))
        attention = torch.zeros((len(states), length), dtype=torch.long)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            attention[i, : s.shape[0]] = 1
        mask = self._mask(attention)
        for layer in self.bert.encoder.layer[self.split :]:
            hidden = layer(hidden, mask)
        m = attention[..., None].float()
        pooled = (hidden * m).sum(dim=1) / m.sum(dim=1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def encode_no_grad(self, texts: Sequence[str], kind: str, batch_size: int = 32):
        torch = self.torch
        with torch.no_grad():
            parts = [self.encode(texts[i : i + batch_size], kind) for i in range(0, len(texts), batch_size)]
        return torch.cat(parts)


# --------------------------------------------------------------------------------------------- training


def _batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    order = list(pairs)
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


def text_loss(enc: TopLayerEncoder, batch: list[Pair], temperature: float):
    """In-batch InfoNCE (query -> positive); rows with the same positive text count as positives."""
    torch = enc.torch
    q = enc.encode([p.query for p in batch], "query")
    positives = list(dict.fromkeys(p.positive or "" for p in batch))
    d = enc.encode(positives, "passage")
    logits = q @ d.T / temperature
    target = torch.tensor([positives.index(p.positive or "") for p in batch])
    return torch.nn.functional.cross_entropy(logits, target)


def course_loss(enc: TopLayerEncoder, batch: list[Pair], courses, ids: dict[str, int], temperature: float):
    """Cross-entropy of the query's softmax over the whole catalog against the pair's target weights."""
    torch = enc.torch
    q = enc.encode([p.query for p in batch], "query")
    logits = q @ courses.T / temperature
    target = torch.zeros_like(logits)
    for row, pair in enumerate(batch):
        for cid, weight in pair.courses.items():
            target[row, ids[cid]] = weight
    target = target / target.sum(dim=1, keepdim=True)
    return -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


def train(
    pairs: list[Pair], courses: list[dict], config: TrainConfig, model_dir: Path, log=print
) -> tuple[TopLayerEncoder, dict]:
    import torch

    torch.set_num_threads(config.threads)
    random.seed(config.seed)
    np.random.seed(config.seed)
    rng = random.Random(config.seed)
    started = time.perf_counter()
    enc = TopLayerEncoder(model_dir, config)
    text_pairs = [p for p in pairs if p.positive]
    course_pairs = [p for p in pairs if p.courses]
    ids = {c["id"]: i for i, c in enumerate(courses)}
    missing = {cid for p in course_pairs for cid in p.courses if cid not in ids}
    if missing:
        raise ValueError(f"training pairs name courses missing from the catalog: {sorted(missing)[:5]}")
    course_texts = [passage_text(c) for c in courses]
    enc.cache([p.query for p in pairs], "query", config.max_query_pieces)
    enc.cache([p.positive or "" for p in text_pairs], "passage", config.max_passage_pieces)
    enc.cache(course_texts, "passage", config.max_course_pieces)
    t_cache = time.perf_counter() - started
    log(f"bottom {enc.split} layers cached for {len(enc._cache)} texts in {t_cache:.0f} s")

    optimizer = torch.optim.AdamW(enc.trainable(), lr=config.learning_rate, weight_decay=0.01)
    share = len(text_pairs) / max(len(pairs), 1)
    text_size = max(2, round(config.batch_size * share))
    course_size = max(2, config.batch_size - text_size)
    steps_per_epoch = max(math.ceil(len(text_pairs) / text_size), math.ceil(len(course_pairs) / course_size))
    total = steps_per_epoch * config.epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(total - warmup, 1)))
    )
    losses: list[list[float]] = []
    step = 0
    course_matrix = enc.encode_no_grad(course_texts, "passage")
    for epoch in range(config.epochs):
        text_batches = _batches(text_pairs, text_size, rng)
        course_batches = _batches(course_pairs, course_size, rng)
        epoch_losses = []
        for i in range(steps_per_epoch):
            enc.model.train()
            loss = text_loss(enc, text_batches[i % len(text_batches)], config.temperature) + course_loss(
                enc, course_batches[i % len(course_batches)], course_matrix, ids, config.temperature
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            epoch_losses.append(loss.item())
            if step % config.refresh_every == 0:
                enc.model.eval()
                course_matrix = enc.encode_no_grad(course_texts, "passage")
            if step % 20 == 0:
                log(
                    f"epoch {epoch + 1} step {step}/{total}: loss {np.mean(epoch_losses[-20:]):.3f} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
        losses.append(epoch_losses)
    enc.model.eval()
    info = {
        "config": asdict(config),
        "pairs": {"text": len(text_pairs), "courses": len(course_pairs)},
        "steps": total,
        "seconds": {"cache": round(t_cache), "total": round(time.perf_counter() - started)},
        "mean_loss_per_epoch": [round(float(np.mean(e)), 4) for e in losses],
    }
    return enc, info


# --------------------------------------------------------------------------------------------- output


def data_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def save_adapter(enc: TopLayerEncoder, out: Path, info: dict) -> None:
    """The LoRA weights and peft's config (``adapter_model.safetensors``, ``adapter_config.json``) + info."""
    out.mkdir(parents=True, exist_ok=True)
    enc.model.save_pretrained(str(out))
    # peft records the base model's absolute path; the merge loads the base itself, so keep the file portable.
    config_file = out / "adapter_config.json"
    adapter_config = json.loads(config_file.read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = "multilingual-e5-small"
    config_file.write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / TRAINING_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    # peft writes a model-card template (README.md) full of placeholders; ours replaces it.
    (out / "README.md").write_text(
        "# LoRA adapter of multilingual-e5-small for the municipal course search\n\n"
        "Made by `make adapt` (`python -m index.adapt.train`), merged into the base model at setup\n"
        "(`python -m index.adapt.merge`). Training data, configuration and timings: `kc_training.json`;\n"
        "data and sources: `index/adapt/data/README.md`.\n",
        encoding="utf-8",
    )


def dev_report(enc: TopLayerEncoder, courses: list[dict], config: TrainConfig) -> dict[str, float]:
    """Dense-only nDCG@5 on the dev split with the adapted top layers (a tuning aid; never the test split)."""
    from bench.bench_quality import load_devset, ndcg_at

    dev = load_devset(ROOT / "bench" / "data" / "devset.jsonl")
    texts = [passage_text(c) for c in courses]
    enc.cache([d["query"] for d in dev], "query", config.max_query_pieces)
    enc.cache(texts, "passage", config.max_course_pieces)
    c = enc.encode_no_grad(texts, "passage").numpy()
    q = enc.encode_no_grad([d["query"] for d in dev], "query").numpy()
    ranked = np.argsort(-(q @ c.T), axis=1)[:, :10]
    by_style: dict[str, list[float]] = {}
    for d, row in zip(dev, ranked, strict=True):
        score = ndcg_at([courses[i]["id"] for i in row], d["relevant"], 5)
        by_style.setdefault(d["style"], []).append(score)
        by_style.setdefault("all", []).append(score)
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(by_style.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=BASE_MODEL_DIR, help="converted base model")
    parser.add_argument("--pairs", type=Path, default=DATA_DIR / "pairs.jsonl")
    parser.add_argument("--out", type=Path, default=ADAPTER_DIR)
    parser.add_argument(
        "--eval-dev", action="store_true", help="print dense-only dev nDCG@5 (base and adapted)"
    )
    for name, value in asdict(TrainConfig()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    config = TrainConfig(**{k: getattr(args, k) for k in asdict(TrainConfig())})
    sys.path.insert(0, str(ROOT))
    if not args.pairs.is_file():
        print(f"train: error: {args.pairs} is missing; run 'python -m index.adapt.prepare'", file=sys.stderr)
        return 1
    catalog_path = ROOT / "index" / "data" / "catalog.jsonl"
    courses = cat.load_catalog(catalog_path).courses
    pairs = read_pairs(args.pairs)
    enc, info = train(pairs, courses, config, args.model_dir)
    info["data_sha256"] = data_digest([args.pairs, catalog_path])
    if args.eval_dev:
        info["dev_dense_ndcg5"] = dev_report(enc, courses, config)
        print(f"dev dense nDCG@5 (adapted): {info['dev_dense_ndcg5']}")
    save_adapter(enc, args.out, info)
    print(f"adapter written to {args.out} ({info['seconds']['total']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
