"""torch_loader: the Python peer of bench/peers.bench.ts, a PyTorch DataLoader over the on-disk layout.

Each sample: 25 token ids, the cover at 224x224 float32 in [0, 1] (Pillow), 8 uniform frames at 112x112
float32 in [0, 1], decoded either by PyAV (decode once, stop after the last wanted frame, thread_type AUTO)
or by OpenCV seeking each wanted frame (CAP_PROP_POS_FRAMES). Batches of 32, 2 workers, PASSES passes.

Usage: /usr/bin/python3 torch_loader.py ROOT {pyav,opencv-seek} PASSES BATCH WORKERS
Prints one JSON line: the seconds of each pass (timed inside the process), samples per pass, peak RSS
(ru_maxrss of this process and of its reaped children, the workers), CPU seconds over the passes, versions and the frame
indices decoded for each clip (so the bench can check they are reelset's).

Standard library and Debian's python3-torch, python3-pil, python3-numpy, python3-av / python3-opencv only.
"""

import ast
import json
import os
import re
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

MAX_LENGTH = 25
FRAMES = 8
COVER = 224
FRAME_SIZE = 112
WORD = re.compile(r"\W+")


def uniform_indices(count, t):
    """The centre frame of each of t equal segments of count frames (reelset's 'uniform' sampling)."""
    out = []
    for k in range(t):
        lo = (k * count) // t
        hi = ((k + 1) * count) // t
        out.append(lo + (hi - lo) // 2)
    return out


def tokenize(text):
    return [token for token in WORD.split(text) if token]


def read_brief(path):
    with open(path, encoding="utf-8") as f:
        return ast.literal_eval(f.read())["mp4_txt_brief"]


def frames_pyav(path):
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = uniform_indices(stream.frames, FRAMES)
        want, last = set(wanted), wanted[-1]
        out = []
        for i, frame in enumerate(container.decode(stream)):
            if i in want:
                out.append(frame.to_ndarray(width=FRAME_SIZE, height=FRAME_SIZE, format="rgb24"))
            if i >= last:
                break
    return np.stack(out), wanted


def frames_opencv_seek(path):
    import cv2

    cap = cv2.VideoCapture(path)
    wanted = uniform_indices(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), FRAMES)
    out = []
    for index in wanted:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        if not ok:
            raise RuntimeError(f"{path}: no frame {index}")
        frame = cv2.resize(frame, (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_LINEAR)
        out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return np.stack(out), wanted


class Clips(Dataset):
    """<root>/<label>/<id>/ with a .txt, a .jpeg and a .mp4 (`<id>.jpeg` or the downloaded `<id9>_iconl.jpeg`, ...),
    labels in sorted order; the vocabulary built from the briefs."""

    def __init__(self, root, decode):
        self.decode = decode
        labels = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        self.items = []
        for label_id, label in enumerate(labels):
            for item in sorted(os.listdir(os.path.join(root, label))):
                folder = os.path.join(root, label, item)
                files = {name.rsplit(".", 1)[-1]: os.path.join(folder, name) for name in os.listdir(folder)}
                self.items.append((files, label_id))
        counts = {}
        for files, _ in self.items:
            for token in tokenize(read_brief(files["txt"])):
                counts[token] = counts.get(token, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first appearance
        self.vocab = {token: i + 1 for i, (token, _) in enumerate(ranked)}

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        files, label_id = self.items[index]
        unknown = len(self.vocab) + 1
        ids = [self.vocab.get(t, unknown) for t in tokenize(read_brief(files["txt"]))][:MAX_LENGTH]
        tokens = np.zeros(MAX_LENGTH, dtype=np.int32)
        tokens[: len(ids)] = ids
        with Image.open(files["jpeg"]) as img:
            cover = img.convert("RGB").resize((COVER, COVER), Image.BILINEAR)
        image = np.asarray(cover, dtype=np.float32) / 255.0
        frames, wanted = self.decode(files["mp4"])
        video = frames.astype(np.float32) / 255.0
        return {
            "tokens": torch.from_numpy(tokens),
            "image": torch.from_numpy(image),
            "video": torch.from_numpy(video),
            "label": label_id,
            "index": index,
            "wanted": torch.tensor(wanted),
        }


def main():
    root, mode, passes, batch, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    decode = {"pyav": frames_pyav, "opencv-seek": frames_opencv_seek}[mode]
    if mode == "pyav":
        import av

        version = "av " + av.__version__
    else:
        import cv2

        version = "cv2 " + cv2.__version__
    dataset = Clips(root, decode)
    loader = DataLoader(dataset, batch_size=batch, num_workers=workers, shuffle=False)
    seconds, samples, wanted, shapes = [], [], {}, None
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p in range(passes):
        start = time.perf_counter()
        n = 0
        for b in loader:
            n += b["label"].shape[0]
            if p == 0:
                shapes = {k: list(b[k].shape) + [str(b[k].dtype)] for k in ("tokens", "image", "video")}
                for i, w in zip(b["index"].tolist(), b["wanted"].tolist()):
                    wanted[dataset.items[i][0]["mp4"]] = w
        seconds.append(time.perf_counter() - start)
        samples.append(n)
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples": samples,
                "maxrssSelfKiB": me.ru_maxrss,
                "maxrssChildrenKiB": kids.ru_maxrss,
                "cpuSelf": me.ru_utime + me.ru_stime - me0.ru_utime - me0.ru_stime,
                "cpuChildren": kids.ru_utime + kids.ru_stime - kids0.ru_utime - kids0.ru_stime,
                "versions": f"torch {torch.__version__}, {version}, Pillow {Image.__version__}, numpy {np.__version__}",
                "shapes": shapes,
                "wanted": wanted,
            }
        )
    )


if __name__ == "__main__":
    main()
