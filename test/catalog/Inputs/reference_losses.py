#!/usr/bin/env python3
"""PyTorch reference values for the trace_*.nn loss tests (nll_loss,
smooth_l1, kl_div, weighted cross_entropy, binary_cross_entropy on
probabilities, the pair losses):
the loss and its gradient with respect to the input h, printed as the
tests' trace_close.py --expect arguments.

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_losses.py
"""
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def show(name, loss, h):
    print(f"{name}: torch {torch.__version__}, loss {loss.item()!r}")
    for i, v in enumerate(h.grad.flatten().tolist()):
        print(f"# RUN:   --expect 'd_h[{i}] = {v!r}' \\")


# nll_loss of log_softmax(h), class labels, the batch mean.
h = torch.tensor([[0.5, -1.2, 2.0, 0.1], [1.5, 0.3, -0.4, 0.0], [-0.8, 0.9, 0.1, 0.2]],
                 requires_grad=True)
loss = F.nll_loss(F.log_softmax(h, -1), torch.tensor([2, 0, 3]))
loss.backward()
show("nll_loss", loss, h)

# smooth_l1 with beta 0.5: differences at 0, +-beta and beyond.
h = torch.tensor([[0.0, 0.5, -0.5, 1.2, -0.2, 0.3]], requires_grad=True)
loss = F.smooth_l1_loss(h, torch.zeros(1, 6), beta=0.5)
loss.backward()
show("smooth_l1", loss, h)

# kl_div: log-probabilities against probabilities (a zero among them), the
# batch mean of each sample's sum (batchmean), and against log-probabilities.
h = torch.tensor([[-1.2, -0.4, -2.3, -0.9], [-0.1, -3.0, -1.5, -0.7]], requires_grad=True)
t = torch.tensor([[0.1, 0.5, 0.0, 0.4], [0.7, 0.05, 0.05, 0.2]])
loss = F.kl_div(h, t, reduction="batchmean")
loss.backward()
show("kl_div", loss, h)
h.grad = None
loss = F.kl_div(h, torch.log(t + 0.1), reduction="mean", log_target=True)
loss.backward()
show("kl_div_log_target", loss, h)

# cross_entropy with class weights: each label's loss scaled by its weight,
# the mean divided by the sum of the batch's label weights.
h = torch.tensor([[0.5, -1.2, 2.0, 0.1], [1.5, 0.3, -0.4, 0.0], [-0.8, 0.9, 0.1, 0.2]],
                 requires_grad=True)
loss = F.cross_entropy(h, torch.tensor([2, 0, 3]), weight=torch.tensor([0.5, 2.0, 1.0, 3.0]))
loss.backward()
show("cross_entropy_weight", loss, h)

# nll_loss(reduce: none) with a weight tensor and an ignore_index: each
# position's loss (PyTorch's reduction='none'), summed per sample and
# averaged over the batch. F.nll_loss has no derivative for its weight, so
# the weight's gradient comes from the same loss written out, which is
# checked equal to F.nll_loss's first.
h = torch.tensor([[[0.5, -1.2, 2.0], [1.5, 0.3, -0.4]], [[-0.8, 0.9, 0.1], [0.2, -0.3, 0.7]]],
                 requires_grad=True)
t = torch.tensor([[2, -1], [0, 1]])
cw = torch.tensor([0.5, 2.0, 1.5], requires_grad=True)
lp = F.log_softmax(h, -1)
per = F.nll_loss(lp.reshape(-1, 3), t.reshape(-1), weight=cw.detach(), ignore_index=-1, reduction="none")
kept = t != -1
written = -lp.gather(-1, t.clamp(min=0).unsqueeze(-1)).squeeze(-1) * cw[t.clamp(min=0)] * kept
assert torch.equal(per, written.reshape(-1))
loss = written.sum(1).mean()
loss.backward()
show("nll_loss_none_weight", loss, h)
print("# per position", per.tolist())
for i, v in enumerate(cw.grad.tolist()):
    print(f"# RUN:   --expect '(cw[{i}] - after_cw[{i}]) / 0.1 = {v!r}' \\")

# binary_cross_entropy on probabilities (from_logits: false), 0 < p < 1.
h = torch.tensor([[0.2, 0.9, 0.5, 0.999], [0.7, 0.05, 0.35, 0.6]], requires_grad=True)
t = torch.tensor([[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 0.5, 0.25]])
loss = F.binary_cross_entropy(h, t)
loss.backward()
show("binary_cross_entropy_probabilities", loss, h)

# binary_cross_entropy on probabilities at exactly 0 and 1 (and inside),
# targets 0, 1 and 0.3: the loss clamps its logs at -100, and the gradient
# is PyTorch's backward formula (p - t) / max(p (1 - p), 1e-12).
h = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.5, 0.25]], requires_grad=True)
t = torch.tensor([[0.0, 1.0, 1.0, 0.0], [0.3, 0.3, 1.0, 0.0]])
loss = F.binary_cross_entropy(h, t)
loss.backward()
show("binary_cross_entropy_probabilities_edges", loss, h)

# The pair losses, each as the tests write it: h is the first input.
A = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.4], [-0.8, 0.9, 0.1]]
B = [[0.4, -1.0, 1.5], [-1.0, 0.2, 0.6], [0.3, 0.9, -0.2]]
Y = [1.0, -1.0, -1.0]
h = torch.tensor(A, requires_grad=True)
loss = F.cosine_similarity(h, torch.tensor(B), dim=-1).sum() / 3 + 0 * h.sum()
loss.backward()
show("cosine_similarity", loss, h)
h = torch.tensor(A, requires_grad=True)
loss = F.cosine_embedding_loss(h, torch.tensor(B), torch.tensor(Y), margin=0.1)
loss.backward()
show("cosine_embedding_loss", loss, h)
h = torch.tensor(A, requires_grad=True)
# margin 0: the third sample's second pair (0.9, 0.9) is on the clamp's kink,
# where the gradient passes (-y).
loss = F.margin_ranking_loss(h, torch.tensor(B), torch.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, -1.0]]),
                             margin=0.0)
loss.backward()
show("margin_ranking_loss", loss, h)
h = torch.tensor(A, requires_grad=True)
# margin 0.5: the first element (0.5, y = -1) is on the clamp's kink.
loss = F.hinge_embedding_loss(h, torch.tensor([[-1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]]),
                              margin=0.5)
loss.backward()
show("hinge_embedding_loss", loss, h)

# group_norm (not a loss; its reference lives here with the other sema
# composites): nnc's [H, W, C] sample is PyTorch's (1, C, H, W) permuted.
X = [[[0.5, -1.2, 2.0, 0.1], [1.5, 0.3, -0.4, 0.0]], [[-0.8, 0.9, 0.1, 0.2], [0.7, -0.3, 1.1, -2.0]]]
C = [[[0.5, -1.0, 2.0, 1.5], [-0.7, 0.3, 1.1, -0.4]], [[0.2, 0.9, -1.3, 0.6], [1.0, -0.5, 0.4, 0.8]]]
h = torch.tensor(X, requires_grad=True)
gn = torch.nn.GroupNorm(2, 4)
y = gn(h.permute(2, 0, 1).unsqueeze(0))[0].permute(1, 2, 0)
(y * torch.tensor(C) + y ** 2).sum().backward()
print(f"group_norm: torch {torch.__version__}")
for i, v in enumerate(y.flatten().tolist()):
    print(f"# RUN:   --expect 'y[{i}] = {v!r}' \\")
for i, v in enumerate(h.grad.flatten().tolist()):
    print(f"# RUN:   --expect 'd_h[{i}] = {v!r}' \\")
print("# weight.grad", gn.weight.grad.tolist(), "bias.grad", gn.bias.grad.tolist())
