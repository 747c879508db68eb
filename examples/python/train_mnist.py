"""Train an MNIST classifier from Python with a model nnc compiled
(docs/python.md shows this file; test/python/train_mnist.test runs it).

    nnc compile examples/mnist_mlp.nn --emit-shared mnist_mlp.so
    scripts/fetch_mnist.sh        # prints the cache directory, e.g. ~/.cache/nnc/mnist
    PYTHONPATH=runtime/python python3 examples/python/train_mnist.py mnist_mlp.so \\
        ~/.cache/nnc/mnist/train-images-idx3-ubyte ~/.cache/nnc/mnist/train-labels-idx1-ubyte \\
        ~/.cache/nnc/mnist/t10k-images-idx3-ubyte ~/.cache/nnc/mnist/t10k-labels-idx1-ubyte
"""
import argparse

import numpy as np

import nnc


def read_idx(path):
    """An IDX file (MNIST's format) as a uint8 array of its shape."""
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("library", help="nnc compile MODEL.nn --emit-shared LIBRARY.so")
    p.add_argument("train_images")
    p.add_argument("train_labels")
    p.add_argument("test_images")
    p.add_argument("test_labels")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkpoint", default="mnist.ckpt")
    args = p.parse_args()

    # Images as the model declares them, [28, 28, 1] in [0, 1]; labels as int32.
    x = read_idx(args.train_images)[..., None] / np.float32(255)
    y = read_idx(args.train_labels).astype(np.int32)
    test_x = read_idx(args.test_images)[..., None] / np.float32(255)
    test_y = read_idx(args.test_labels)

    model = nnc.Model(args.library, seed=args.seed)
    print("model %s: %d parameters; inputs %s, targets %s" % (
        model.name, model.num_params, model.inputs, model.targets))
    rng = np.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        # The epoch's schedule position, for models with per-epoch schedules.
        if "optimizer.epoch" in [t.name for t in model.state]:
            model.set_param("optimizer.epoch", epoch)
        order = rng.permutation(len(x))
        losses = []
        for begin in range(0, len(x) - args.batch + 1, args.batch):
            batch = order[begin:begin + args.batch]
            losses.append(model.train_step(x[batch], y[batch]))
        # predict takes the whole test set: it runs batches of max_batch.
        probs = model.predict(test_x)
        accuracy = np.mean(probs.argmax(axis=1) == test_y)
        print("epoch %d: %d steps, mean loss %.4f, test accuracy %.2f%%" % (
            epoch + 1, len(losses), np.mean(losses), 100 * accuracy))
    model.save(args.checkpoint)
    print("wrote", args.checkpoint)


if __name__ == "__main__":
    main()
