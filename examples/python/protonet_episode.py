"""Scores one fixed test episode with a metabench ProtoNets checkpoint, in
plain PyTorch: the checkpoint and the episode are torch.save() files.

    metabench data episode CONFIG.yaml --index 3 --out episode.pt
    python3 protonet_episode.py results/x.checkpoints/run-...-best.ckpt episode.pt
"""
import sys

import torch
import torch.nn.functional as F

checkpoint = torch.load(sys.argv[1])
episode = torch.load(sys.argv[2])
assert checkpoint["format"] == "metabench-checkpoint", checkpoint["format"]
w = checkpoint["tensors"]  # name -> tensor, e.g. "block0.conv.weight"


def conv4(x):
    # metabench's Conv4: 3x3 conv, batch norm on the batch's statistics,
    # ReLU, 2x2 max-pool, four times; then flattened.
    for b in range(4):
        p = f"block{b}."
        x = F.conv2d(x, w[p + "conv.weight"], w[p + "conv.bias"], padding=1)
        x = F.batch_norm(x, None, None, w[p + "bn.weight"], w[p + "bn.bias"],
                         training=True, eps=1e-5)
        x = F.max_pool2d(F.relu(x), 2)
    return x.flatten(1)


e = episode["episode"]
n = e["support_x"].shape[0]
with torch.no_grad():
    # Support and query in one batch, as metabench's ProtoNets embeds them.
    z = conv4(torch.cat([e["support_x"], e["query_x"]]))
    prototypes = z[:n].view(episode["ways"], -1, z.shape[1]).mean(1)
    logits = -((z[n:, None, :] - prototypes[None]) ** 2).sum(2)
accuracy = (logits.argmax(1) == e["query_y"]).float().mean().item()
print(f"{episode['split']} episode {episode['index']}: accuracy {accuracy:.6f}")
