"""How the int8 query encoder fares on a CPU without VNNI, emulated here (prints figures; not a test).

onnxruntime picks its int8 kernels by CPUID and has no switch to force the AVX2 path on a VNNI machine.
QEMU's user-mode emulator (Debian package ``qemu-user``) runs the index runtime's Python on an emulated
Haswell (AVX2, no AVX-512, no VNNI), so both kernel families can be compared on one machine:

    .venv/index/bin/python bench/bench_int8_cpu.py [--queries 40]

For the first ``--queries`` check queries (index/data/encoder_check_queries.txt) it encodes the courses and
the fp32 query vectors natively, the int8 query vectors natively and under emulation (with and without
onnxruntime's exact u8u8 kernels, ``session.x64quantprecision``), and prints index.int8_check's figures and
verdict for each.
Emulation is slow (~2-4 s per query): 40 queries take about 5 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e5 import OnnxEncoder, default_onnx_dir  # noqa: E402
from index import int8_check  # noqa: E402
from index.convert_model import DEFAULT_OUT  # noqa: E402


def int8_vectors(model_dir: Path, onnx_dir: Path, queries: list[str], exact: bool) -> np.ndarray:
    encoder = OnnxEncoder(model_dir, onnx_dir, "onnx-int8", 1, exact_int8_kernels=exact)
    return np.stack([encoder.encode_queries([q])[0] for q in queries])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / DEFAULT_OUT)
    parser.add_argument("--onnx-dir", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--child", choices=["exact", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    onnx_dir = args.onnx_dir or default_onnx_dir(args.model_dir)
    queries = int8_check.load_queries()[: args.queries]
    if args.child:  # running under the emulator: int8 query vectors only
        np.save(args.out, int8_vectors(args.model_dir, onnx_dir, queries, args.child == "exact"))
        return 0

    fp32 = OnnxEncoder(args.model_dir, onnx_dir, "onnx", 1)
    passages = fp32.encode_passages(int8_check.load_passages())
    reference = np.stack([fp32.encode_queries([q])[0] for q in queries])
    runs = {
        "native, exact kernels": int8_vectors(args.model_dir, onnx_dir, queries, True),
        "native, plain kernels": int8_vectors(args.model_dir, onnx_dir, queries, False),
    }
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        print("qemu-x86_64 not found (apt-get install qemu-user): only native figures", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for mode in ("plain", "exact"):
                out = Path(tmp) / f"{mode}.npy"
                command = [qemu, "-cpu", "Haswell", sys.executable, __file__, "--child", mode]
                command += ["--out", str(out), "--queries", str(args.queries)]
                command += ["--model-dir", str(args.model_dir), "--onnx-dir", str(onnx_dir)]
                subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
                runs[f"emulated AVX2, {mode} kernels"] = np.load(out)
    print(f"CPU here: {int8_check.describe_cpu(int8_check.cpu_signature())}; {len(queries)} queries")
    for label, vectors in runs.items():
        figures = int8_check.agreement(reference, vectors, passages)
        passed, _ = int8_check.verdict(figures)
        print(
            f"{label:<28} top5_found {figures['top5_found']:.3f} best_in_top3 {figures['best_in_top3']:.3f} "
            f"same_best {figures['same_best']:.3f} cosine min {figures['min_cosine']:.4f} "
            f"mean {figures['mean_cosine']:.4f} -> {'pass' if passed else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
