"""W3 peer: MNIST MLP 784-512-10, ReLU, cross-entropy, SGD lr 0.1 momentum
0.9, batch 64, one epoch (937 steps; bench/models/mnist_mlp_w3.nn), with the batch's
accuracy computed every step as nnc's train_step does. Reports training
images per second."""
import torch

import common

args = common.parse(__doc__)
images, labels = common.load_mnist(args.mnist)
images = images.reshape(-1, 784)
batch = 64
steps = 100 if args.quick else images.shape[0] // batch
values = []
for rep in range(args.reps):
    torch.manual_seed(rep)
    net = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    step = common.classifier_step(net, opt, images, labels)
    sec = common.train_rate(step, steps, common.shuffled_batches(images.shape[0], batch, rep))
    values.append(batch / sec)
common.emit("W3", args.threads, "images/s", values, steps=steps)
