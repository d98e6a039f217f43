"""Command line: python -m edgeinspect <command> --help."""

from __future__ import annotations

import argparse
import signal
import sys


def _make_samples(args):
    from .samples import make_samples
    for path in make_samples(args.out):
        print(path)


def _train(args):
    from .train import train
    train(args)


def _export(args):
    from .export import export
    export(args)


def _score(args):
    from .modelfile import read
    from .score import Scorer
    scorer = Scorer(read(args.model))
    print(f"threshold {scorer.threshold:.6g}")
    for path in args.images:
        res = scorer.score_file(path)
        verdict = "ANOMALY" if res.score > scorer.threshold else "ok"
        print(f"{res.score:12.6g}  {verdict:7s}  {path}")


def _compare(args):
    import numpy as np
    from .modelfile import read
    from .score import Scorer
    a, b = Scorer(read(args.a)), Scorer(read(args.b))
    worst_recon = worst_map = 0.0
    for path in args.images:
        ra, rb = a.score_file(path), b.score_file(path)
        # Reconstruction difference in pixel units (undo the normalisation).
        d_recon = float(np.abs((ra.recon.astype(np.float64) - rb.recon) * a.std[:, None, None]).max())
        d_map = float(np.abs(ra.map - rb.map).max())
        worst_recon, worst_map = max(worst_recon, d_recon), max(worst_map, d_map)
        print(f"{path}: score {ra.score:.6g} vs {rb.score:.6g} ({(rb.score / ra.score - 1) * 100:+.2f}%), "
              f"max |recon diff| {d_recon:.3g} px, max |map diff| {d_map:.3g}")
    print(f"overall: max |recon diff| {worst_recon:.3g} px, max |map diff| {worst_map:.3g}")


def _evaluate(args):
    from .evaluate import main
    main(args)


def _bench_compare(args):
    from .bench_compare import main
    main(args)


def _info(args):
    from .modelfile import DTYPE_NAMES, read
    mf = read(args.model)
    for key, m in mf.metadata.items():
        print(f"{key} = {m.value}")
    print(f"graph: {len(mf.nodes)} nodes, output value {mf.output}")
    for i, node in enumerate(mf.nodes):
        extra = f" {node.weight}" if node.weight else ""
        print(f"  {i + 1:3d} = {node.op}({', '.join(map(str, node.inputs))}){extra}")
    for t in mf.tensors:
        print(f"tensor {t.name}: {DTYPE_NAMES[t.dtype]} {list(t.data.shape)}")


def build_parser() -> argparse.ArgumentParser:
    from . import bench_compare, evaluate, export, train
    parser = argparse.ArgumentParser(prog="python -m edgeinspect", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make-samples", help="write the synthetic demo images and their README")
    p.add_argument("--out", default="samples", help="output folder")
    p.set_defaults(func=_make_samples)

    p = sub.add_parser("train", help="train an autoencoder on good images or the synthetic texture")
    train.add_arguments(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("export", help="write a model file (and golden files) from a checkpoint")
    export.add_arguments(p)
    p.set_defaults(func=_export)

    p = sub.add_parser("score", help="score images with a model file (reference implementation)")
    p.add_argument("--model", required=True, help=".eim model file")
    p.add_argument("images", nargs="+", help="PNG/JPEG images")
    p.set_defaults(func=_score)

    p = sub.add_parser("compare", help="compare two model files (e.g. f32 vs i8) on images")
    p.add_argument("a", help="reference .eim")
    p.add_argument("b", help="other .eim")
    p.add_argument("images", nargs="+")
    p.set_defaults(func=_compare)

    p = sub.add_parser("evaluate", help="image/pixel AUROC, PRO, F1 of PyTorch and Swift on an MVTec-AD folder")
    evaluate.add_arguments(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("bench-compare", help="time the model on ONNX Runtime, ncnn and edge-inspect side by side")
    bench_compare.add_arguments(p)
    p.set_defaults(func=_bench_compare)

    p = sub.add_parser("info", help="validate a model file and print its metadata, graph and tensors")
    p.add_argument("model")
    p.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` ends quietly
    args = build_parser().parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
