"""W4 peer: the lecture's MNIST CNN (examples/mnist_cnn.nn): conv 5x5x32
same, ReLU, maxpool 2, conv 5x5x64 same, ReLU, maxpool 2, dense 1024 ReLU,
dense 10, cross-entropy, Adam 1e-4, batch 50, batch accuracy every step.
PyTorch's native NCHW layout. Reports training images per second over
--steps steps (after a tenth of them as warm-up)."""
import torch

import common


def extra(ap):
    ap.add_argument("--steps", type=int, default=200)


def make_net():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10))


if __name__ == "__main__":
    args = common.parse(__doc__, extra)
    images, labels = common.load_mnist(args.mnist)
    batch = 50
    values = []
    for rep in range(args.reps):
        torch.manual_seed(rep)
        net = make_net()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        step = common.classifier_step(net, opt, images, labels)
        sec = common.train_rate(step, args.steps,
                                common.shuffled_batches(images.shape[0], batch, rep))
        values.append(batch / sec)
    common.emit("W4", args.threads, "images/s", values, steps=args.steps)
