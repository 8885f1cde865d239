#!/usr/bin/env python3
"""make_reference_pth.py: write tiny .pth files with real PyTorch, to compare by hand with the
files the tests generate (Tests/StyleTransferTests/Weights/PretrainedWriters.swift).

Run by hand, never by the tests (they generate their files from the formats' specification):

    pip install torch --index-url https://download.pytorch.org/whl/cpu
    python3 scripts/make_reference_pth.py out/
    .build/debug/nst transfer --weights out/tiny-zip.pth --content-layers relu1_1 \
        --style-layers relu1_1 --content C.png --style S.png --output o.png

It writes a state dict with conv1_1 (features.0) of VGG-19 in both containers (zip and the
legacy pre-1.6 one, `_use_new_zipfile_serialization=False`) and in float16, plus a dict
that names a forbidden global (os.system), which nst must refuse without running it.
"""
import collections
import os
import pickle
import sys

import torch


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    sd = collections.OrderedDict()
    sd["features.0.weight"] = torch.rand(64, 3, 3, 3, generator=g) - 0.5
    sd["features.0.bias"] = torch.rand(64, generator=g) - 0.5
    sd["classifier.0.weight"] = torch.zeros(2, 3)
    torch.save(sd, os.path.join(out, "tiny-zip.pth"))
    torch.save(sd, os.path.join(out, "tiny-legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({k: v.half() for k, v in sd.items()}, os.path.join(out, "tiny-half.pth"))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo this must never run",))

    with open(os.path.join(out, "evil.pth"), "wb") as f:
        pickle.dump(Evil(), f, protocol=2)
    print("wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reference-weights")
