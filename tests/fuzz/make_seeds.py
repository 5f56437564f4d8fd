#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets, corpus/<target>/, in the
readers' real formats (small, valid files and a few near misses).  The
committed corpus is this script's output; run it again after a format
changes.  Inputs that once crashed a target are kept beside the seeds as
corpus/<target>/regression-*, so that every run replays them first.
usage: tests/fuzz/make_seeds.py"""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def u64(v):
    return struct.pack("<Q", v)


def lp(s):
    b = s.encode()
    return u64(len(b)) + b


def checkpoint(tensors, yaml="algorithm: protonet\n"):
    out = b"MBCKPT02" + lp("0" * 64) + lp(yaml) + u64(7) + u64(len(tensors))
    for name, shape in tensors:
        out += lp(name) + u64(len(shape)) + b"".join(u64(d) for d in shape)
        n = 1
        for d in shape:
            n *= d
        out += struct.pack("<%df" % n, *([0.5] * n))
    return out


def png(width, height, grey=True):
    raw = b"".join(b"\x00" + bytes((x * 40 + y * 7) % 256 for x in range(width * (1 if grey else 3)))
                   for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0 if grey else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + \
        chunk(b"IEND", b"")


def images():
    """Image seeds are generated, not committed: scripts/sanitize.sh writes
    them with --images-to DIR before fuzzing."""
    write("image", "grey-5x4.png", png(5, 4))
    write("image", "rgb-3x3.png", png(3, 3, grey=False))
    write("image", "truncated.png", png(8, 8)[:40])


def main():
    write("checkpoint", "two-tensors", checkpoint([("conv.weight", [2, 1, 3, 3]), ("b", [2])]))
    write("checkpoint", "scalar", checkpoint([("s", [])]))
    write("checkpoint", "v1", b"MBCKPT01" + lp("ab") + u64(1) + u64(0))
    write("checkpoint", "truncated", checkpoint([("w", [4, 4])])[:-9])
    # torch.save() files (checkpoints since version 3, snapshots) come from a
    # real run in scripts/sanitize.sh; here only near misses.
    write("snapshot", "zip-magic-only", b"PK\x03\x04" + bytes(26))
    write("snapshot", "not-zip", b"MBSNAP01")

    pool = b"MBPOOL01"
    with open(os.path.join(ROOT, "datasets", "class_pool.cc")) as f:
        for line in f:
            if "kMagic[8] = {" in line:  # the cache's magic, as the reader has it
                pool = bytes(ord(c.strip().strip("'")) for c in
                             line.split("{")[1].split("}")[0].split(","))
    cache = pool + lp("fuzz-key") + lp("checksum") + u64(4) + b"".join(u64(d) for d in (3, 1, 2, 2))
    cache += bytes(range(12)) + u64(2)
    cache += lp("a") + lp("g") + u64(2) + u64(0) + u64(1)
    cache += lp("b") + lp("") + u64(1) + u64(2)
    write("class_pool", "three-images", cache)
    write("class_pool", "other-key", pool + lp("other") + lp("x"))


    write("idx", "images-2x3x3", struct.pack(">IIII", 0x803, 2, 3, 3) + bytes(18))
    write("idx", "labels-4", struct.pack(">II", 0x801, 4) + bytes([1, 2, 3, 4]))
    write("idx", "short", struct.pack(">II", 0x803, 1))

    record = 3072 + 2
    write("cifar", "two-records", bytes([3, 17]) + bytes(3072) + bytes([3, 17]) + bytes(3072))
    write("cifar", "bad-label", bytes([25, 1]) + bytes(record - 2))

    write("csv", "split", "filename,label\nn0153282900000005.jpg,n01532829\n"
          "n0153282900000006.jpg,n01532829\n")
    with open(os.path.join(ROOT, "results", "data", "published.csv")) as f:
        write("csv", "published", f.read())
    write("csv", "three-fields", "filename,label\na,b,c\n")

    for i, text in enumerate([
            "algorithm = 'maml' AND shots = 5",
            "(dataset LIKE 'omni%' OR ways IN (5, 20)) AND NOT seed >= 3",
            "test_accuracy > -1.5e2 AND sweep IS NOT NULL",
            "algorithm = 'it''s'", "status != 'failed' OR ways <> 5"]):
        write("where", "w%d" % i, text)

    smoke = os.path.join(ROOT, "configs", "smoke")
    for name in sorted(os.listdir(smoke)):
        with open(os.path.join(smoke, name)) as f:
            write("config", name, f.read())
    write("config", "sinusoid", "algorithm: maml\ndataset: sinusoid\nbackbone: mlp\n"
          "episode: {ways: 1, shots: 10, queries: 10}\nmodel: {hidden: [40, 40]}\n")

    write("sweep", "small", "name: s\nalgorithms: [protonet, maml]\n"
          "datasets: [synthetic-glyphs, {name: sinusoid, settings: [{ways: 1, shots: 10}], "
          "set: {backbone: mlp}}]\nsettings: [{ways: 5, shots: 1}]\nseeds: [1, 2]\n")
    write("sweep", "base", "base: {eval: {test_episodes: 30}, optim: {iterations: 5}}\n"
          "algorithms: [{name: anil, set: {optim.inner_lr: 0.1}}]\ndatasets: [synthetic-glyphs]\n")
    write("sweep", "no-algorithms", "name: x\ndatasets: [synthetic-glyphs]\n")


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--images-to":
        OUT = sys.argv[2]
        images()
    else:
        main()
