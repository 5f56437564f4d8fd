"""The PyTorch reference of the comparison benchmark (scripts/compare.sh).

Written the way a PyTorch user writes these algorithms: functional modules,
a Python loop over the tasks of a meta-batch, torch.optim.Adam outside, and
images in channels-last layout (as metabench's Conv4 runs them).  It
loads the weights and the meta-batch that metabench_compare_driver dumped,
runs one iteration (whose loss must equal metabench's) and then
--iterations timed ones, and prints one JSON line like the driver's.
"""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn.functional as F


def load(dump, float64=False):
    with open(os.path.join(dump, "manifest.json")) as f:
        manifest = json.load(f)
    tensors = {}
    for t in manifest["tensors"]:
        dtype = torch.int64 if t["dtype"] == "int64" else torch.float32
        with open(os.path.join(dump, t["name"] + ".bin"), "rb") as f:
            data = bytearray(f.read())
        tensor = torch.frombuffer(data, dtype=dtype).reshape(t["shape"]).clone()
        if float64 and tensor.is_floating_point():
            tensor = tensor.double()
        if tensor.dim() == 4:
            # Images in channels-last layout, as metabench's Conv4 runs them:
            # the same kernels, so both sides round alike (and the layout is
            # the faster one on CPUs with AVX-512).  contiguous() would keep
            # a one-channel image's NCHW strides, which fit both layouts.
            tensor = torch.empty_like(tensor, memory_format=torch.channels_last).copy_(tensor)
        tensors[t["name"]] = tensor
    params = [v for k, v in tensors.items() if k.startswith("param.")]
    tasks = []
    i = 0
    while f"task{i}.support_x" in tensors:
        tasks.append([tensors[f"task{i}.{k}"] for k in ("support_x", "support_y", "query_x", "query_y")])
        i += 1
    return manifest, params, tasks


def conv4(x, p):
    for i in range(4):
        x = F.conv2d(x, p[4 * i], p[4 * i + 1], padding=1)
        x = F.batch_norm(x, None, None, p[4 * i + 2], p[4 * i + 3], training=True)
        x = F.max_pool2d(F.relu(x), 2)
    return x.flatten(1)


def mlp(x, p):
    for i in range(0, len(p), 2):
        x = F.relu(F.linear(x, p[i], p[i + 1]))
    return x


def make_step(setting, m, params, tasks):
    body = mlp if setting == "maml-sinusoid" else conv4
    regression = setting == "maml-sinusoid"
    loss_fn = F.mse_loss if regression else F.cross_entropy
    lr, steps = m["inner_lr"], m["inner_steps"]
    opt = torch.optim.Adam(params, lr=m["meta_lr"])

    def net(x, p):
        return F.linear(body(x, p[:-2]), p[-2], p[-1])

    def maml_like(first_order=False, head_only=False):
        opt.zero_grad()
        total = 0.0
        for sx, sy, qx, qy in tasks:
            if head_only:  # ANIL: the body's features once, the head adapted
                feats = body(sx, params[:-2])
                head = params[-2:]
                for _ in range(steps):
                    g = torch.autograd.grad(loss_fn(F.linear(feats, *head), sy), head, create_graph=True)
                    head = [w - lr * gw for w, gw in zip(head, g)]
                fast = params[:-2] + head
            else:
                fast = params
                for _ in range(steps):
                    g = torch.autograd.grad(loss_fn(net(sx, fast), sy), fast, create_graph=not first_order)
                    fast = [w - lr * gw for w, gw in zip(fast, g)]
            loss = loss_fn(net(qx, fast), qy)
            (loss / len(tasks)).backward()
            total += loss.item() / len(tasks)
        opt.step()
        return total

    def reptile():
        total = 0.0
        adapted = []
        for sx, sy, qx, qy in tasks:
            x, y = torch.cat([sx, qx]), torch.cat([sy, qy])
            phi = [p.detach().clone().requires_grad_() for p in params]
            inner = torch.optim.Adam(phi, lr=lr, betas=(0.0, 0.999))
            for _ in range(steps):
                inner.zero_grad()
                loss = loss_fn(net(x, phi), y)
                loss.backward()
                inner.step()
                total += loss.item() / steps / len(tasks)
            adapted.append(phi)
        with torch.no_grad():  # epsilon 1 at the first iteration
            for i, p in enumerate(params):
                p.add_(sum(a[i] - p for a in adapted) / len(adapted))
        return total

    def episode_loss(kind):
        opt.zero_grad()
        sx, sy, qx, qy = tasks[0]
        emb = conv4(torch.cat([sx, qx]), params)
        s, q = emb[: len(sx)], emb[len(sx):]
        ways = int(sy.max()) + 1
        if kind == "protonet":
            protos = torch.stack([s[sy == c].mean(0) for c in range(ways)])
            loss = F.cross_entropy(-torch.cdist(q, protos).pow(2), qy)
        else:
            att = F.softmax(F.normalize(q, dim=1) @ F.normalize(s, dim=1).t(), dim=1)
            probs = att @ F.one_hot(sy, ways).to(att.dtype)
            loss = F.nll_loss(probs.clamp_min(1e-8).log(), qy)
        loss.backward()
        opt.step()
        return loss.item()

    for p in params:
        p.requires_grad_()
    return {
        "maml": lambda: maml_like(),
        "fomaml": lambda: maml_like(first_order=True),
        "anil": lambda: maml_like(head_only=True),
        "maml-sinusoid": lambda: maml_like(),
        "reptile": reptile,
        "protonet": lambda: episode_loss("protonet"),
        "matchingnet": lambda: episode_loss("matchingnet"),
    }[setting]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--setting", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--iterations", type=int, default=3, help="at least this many timed")
    ap.add_argument("--min-seconds", type=float, default=0.0, help="and for at least this long")
    ap.add_argument("--threads", type=int, required=True,
                    help="as many as metabench's driver ran with (its JSON's 'threads')")
    ap.add_argument("--float64", action="store_true",
                    help="compute in float64 (the loss check's ground truth; not for timing)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.float64:
        torch.set_default_dtype(torch.float64)
    m, params, tasks = load(args.dump, args.float64)
    step = make_step(args.setting, m, params, tasks)
    first = step()
    t0 = time.perf_counter()
    done = 0
    while done < args.iterations or time.perf_counter() - t0 < args.min_seconds:
        step()
        done += 1
    per = (time.perf_counter() - t0) / max(1, done)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"first_loss": first, "seconds_per_iteration": per, "iterations": done, "peak_rss_mb": round(rss, 1),
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
