#!/usr/bin/python3
"""PyTorch side of `pnpm bench:compare`: the reference CNN, resnet-small, reference-cnn-bn and
seed-notebook-cnn-bn,
trained and run the same way as ours.

Same architecture as @fmnist/model's reference-cnn (Conv2D 32/64/128 3x3 valid + ReLU, 2x2 max
pools, dropout, Dense 128 ReLU, Dense 10 softmax), Glorot-uniform kernels and zero biases (the
Keras defaults), dropout as given (the trainer's default 0.5), Adam(lr 1e-3, eps 1e-7 as tfjs), categorical cross-entropy, batch 64, and per
batch the loss and accuracy read back to the host, as tfjs's trainOnBatch does.

resnet-small, reference-cnn-bn and seed-notebook-cnn-bn as @fmnist/model builds them: convolutions without bias, then
BatchNorm (Keras defaults: epsilon 1e-3, momentum 0.99, i.e. PyTorch momentum 0.01), 'same'
padding as k // 2 (for the stride-2 3x3 convolutions TensorFlow pads 0 before / 1 after, PyTorch 1
on both sides: same output shape and work, one pixel's shift), global average pooling.

Data comes from raw uint8 files written by compare.ts (the checksum-verified arrays of
@fmnist/data), so both sides train on exactly the same bytes.

Modes:
  --serve   read one JSON command per line on stdin, answer one JSON line on stdout
            (compare.ts drives it so that our runs and PyTorch's interleave)
  default   run the standard comparison alone and print a table
Debian's python3-torch belongs to /usr/bin/python3; run this file with that interpreter.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 64


def load(data_dir):
    def arr(name, shape):
        return np.fromfile(os.path.join(data_dir, name), dtype=np.uint8).reshape(shape)

    meta = json.load(open(os.path.join(data_dir, "meta.json")))
    ntr, nte = meta["train"], meta["test"]
    return (
        arr("train-images.u8", (ntr, 1, 28, 28)),
        arr("train-labels.u8", (ntr,)).astype(np.int64),
        arr("test-images.u8", (nte, 1, 28, 28)),
        arr("test-labels.u8", (nte,)).astype(np.int64),
    )


class ReferenceCNN(nn.Module):
    def __init__(self, dropout=0.3):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3)
        self.c2 = nn.Conv2d(32, 64, 3)
        self.c3 = nn.Conv2d(64, 128, 3)
        self.drop = nn.Dropout(dropout)
        self.d1 = nn.Linear(3 * 3 * 128, 128)
        self.d2 = nn.Linear(128, 10)
        for m in (self.c1, self.c2, self.c3, self.d1, self.d2):
            nn.init.xavier_uniform_(m.weight)  # Keras glorot_uniform
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x))
        x = self.drop(torch.flatten(x, 1))
        x = F.relu(self.d1(x))
        return self.d2(x)  # logits; softmax + categorical cross-entropy in the loss


def glorot(*modules):
    for m in modules:
        nn.init.xavier_uniform_(m.weight)  # Keras glorot_uniform
        if m.bias is not None:
            nn.init.zeros_(m.bias)


class ConvBN(nn.Module):
    """Conv2D(useBias false, padding same) > BatchNormalization, as @fmnist/model builds it."""

    def __init__(self, cin, cout, k, stride=1, padding=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2 if padding is None else padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        glorot(self.conv)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = ConvBN(cin, cout, 3, stride)
        self.b = ConvBN(cout, cout, 3)
        self.proj = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class ResNetSmall(nn.Module):
    def __init__(self, dropout=0.2):
        super().__init__()
        self.stem = ConvBN(1, 16, 3)
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (16, 1), (32, 2), (32, 1), (64, 2), (64, 1)]:
            blocks.append(Block(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(64, 10)
        glorot(self.fc)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.fc(self.drop(x.mean((2, 3))))


class ReferenceCNNBN(nn.Module):
    def __init__(self, dropout=0.4):
        super().__init__()
        self.c1 = ConvBN(1, 32, 3, padding=0)
        self.c2 = ConvBN(32, 64, 3, padding=0)
        self.c3 = ConvBN(64, 128, 3, padding=0)
        self.drop = nn.Dropout(dropout)
        self.d1 = nn.Linear(3 * 3 * 128, 128)
        self.d2 = nn.Linear(128, 10)
        glorot(self.d1, self.d2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x))
        x = self.drop(torch.flatten(x, 1))
        return self.d2(F.relu(self.d1(x)))


class SeedNotebookCNNBN(nn.Module):
    """seed-notebook-cnn-bn: 2x ConvBN(32, same) > pool > dropout .1 > 2x ConvBN(64, same) > pool >
    dropout .1 > Dense(512, no bias) > BN > ReLU > dropout > Dense(10)."""

    def __init__(self, dropout=0.4):
        super().__init__()
        self.convs = nn.ModuleList([ConvBN(1, 32, 3), ConvBN(32, 32, 3), ConvBN(32, 64, 3), ConvBN(64, 64, 3)])
        self.drop_block = nn.Dropout(0.1)
        self.d1 = nn.Linear(7 * 7 * 64, 512, bias=False)
        self.bn1 = nn.BatchNorm1d(512, eps=1e-3, momentum=0.01)
        self.drop = nn.Dropout(dropout)
        self.d2 = nn.Linear(512, 10)
        glorot(self.d1, self.d2)

    def forward(self, x):
        c = self.convs
        x = self.drop_block(F.max_pool2d(F.relu(c[1](F.relu(c[0](x)))), 2))
        x = self.drop_block(F.max_pool2d(F.relu(c[3](F.relu(c[2](x)))), 2))
        # Keras flattens NHWC: the same features in another order, the same work.
        x = F.relu(self.bn1(self.d1(torch.flatten(x, 1))))
        return self.d2(self.drop(x))


ARCHITECTURES = {
    "reference-cnn": ReferenceCNN,
    "resnet-small": ResNetSmall,
    "reference-cnn-bn": ReferenceCNNBN,
    "seed-notebook-cnn-bn": SeedNotebookCNNBN,
}


class Runner:
    def __init__(self, data_dir, seed=1, channels_last=False, dropout=0.5):
        self.dropout = dropout
        torch.manual_seed(seed)
        torch.set_num_interop_threads(1)
        xtr, self.ytr, xte, self.yte = load(data_dir)
        # Whole dataset as float32 once (what a PyTorch user does with a TensorDataset).
        self.xtr = torch.from_numpy(xtr).float().div_(255)
        self.xte = torch.from_numpy(xte).float().div_(255)
        self.ytr_t = torch.from_numpy(self.ytr)
        self.yte_t = torch.from_numpy(self.yte)
        self.channels_last = channels_last
        self.seed = seed
        self.models = {}
        self.cursor = 0

    def fresh(self, seed, architecture="reference-cnn", dropout=None):
        torch.manual_seed(seed)
        if architecture not in ARCHITECTURES:
            raise ValueError(f"no PyTorch model for {architecture}; known: {', '.join(ARCHITECTURES)}")
        model = ARCHITECTURES[architecture](self.dropout if dropout is None else dropout)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        return model, opt

    def state(self, threads, architecture="reference-cnn", dropout=None):
        # One model per architecture and thread count, kept across runs like our side's model.
        key = (architecture, threads)
        if key not in self.models:
            self.models[key] = self.fresh(self.seed, architecture, dropout)
        return self.models[key]

    def step(self, model, opt, x, y):
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        acc = (logits.argmax(1) == y).float().mean()
        return loss.item(), acc.item()

    def train(self, threads, batches, warmup=0, architecture="reference-cnn", dropout=None):
        torch.set_num_threads(threads)
        model, opt = self.state(threads, architecture, dropout)
        model.train()
        n = self.xtr.shape[0]

        def run(count):
            loss = acc = 0.0
            for _ in range(count):
                if self.cursor + BATCH > n:
                    self.cursor = 0
                s = self.cursor
                self.cursor += BATCH
                loss, acc = self.step(model, opt, self.xtr[s : s + BATCH], self.ytr_t[s : s + BATCH])
            return loss, acc

        if warmup:
            run(warmup)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        loss, acc = run(batches)
        secs = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        return {"imgsPerSec": batches * BATCH / secs, "seconds": secs, "cpuSeconds": cpu, "loss": loss, "accuracy": acc, "threads": threads}

    def infer(self, threads, images=10000, batch=500, repeats=1, architecture="reference-cnn", dropout=None):
        torch.set_num_threads(threads)
        model, _ = self.state(threads, architecture, dropout)
        model.eval()
        x = self.xte[:images]
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            model(x[:batch])  # warm-up
            t0 = time.perf_counter()
            for _ in range(repeats):
                for s in range(0, images, batch):
                    model(x[s : s + batch]).softmax(1).numpy()
            secs = time.perf_counter() - t0
        model.train()
        return {"imgsPerSec": images * repeats / secs, "seconds": secs, "threads": threads}

    def epoch(self, threads, seed):
        """One epoch from a fresh model over a seeded shuffle, then test accuracy."""
        torch.set_num_threads(threads)
        model, opt = self.fresh(seed)
        model.train()
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(self.xtr.shape[0], generator=g)
        t0 = time.perf_counter()
        loss_sum = correct = seen = 0.0
        for s in range(0, len(order), BATCH):
            idx = order[s : s + BATCH]
            loss, acc = self.step(model, opt, self.xtr[idx], self.ytr_t[idx])
            loss_sum += loss * len(idx)
            correct += acc * len(idx)
            seen += len(idx)
        secs = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            right = 0
            for s in range(0, self.xte.shape[0], 500):
                x = self.xte[s : s + 500]
                if self.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                right += (model(x).argmax(1) == self.yte_t[s : s + 500]).sum().item()
        return {
            "trainLoss": loss_sum / seen,
            "trainAccuracy": correct / seen,
            "testAccuracy": right / self.xte.shape[0],
            "seconds": secs,
            "imgsPerSec": seen / secs,
            "threads": threads,
        }


def serve(runner):
    print(json.dumps({"ready": True, "torch": torch.__version__, "maxThreads": torch.get_num_threads(), "cpuCount": os.cpu_count()}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        try:
            op = cmd.pop("cmd")
            if op == "quit":
                break
            result = getattr(runner, op)(**cmd)
            print(json.dumps({"ok": True, **result}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with the raw files written by compare.ts")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--threads", default="2,1")
    p.add_argument("--batches", type=int, default=300)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.5)
    a = p.parse_args()
    runner = Runner(a.data, seed=a.seed, channels_last=a.channels_last, dropout=a.dropout)
    if a.serve:
        serve(runner)
        return
    for t in [int(x) for x in a.threads.split(",")]:
        r = runner.train(t, a.batches, a.warmup)
        i = runner.infer(t)
        print(f"torch {torch.__version__} {t} thread(s): train {r['imgsPerSec']:.0f} img/s, inference {i['imgsPerSec']:.0f} img/s")


if __name__ == "__main__":
    main()
