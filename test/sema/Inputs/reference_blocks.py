"""PyTorch 1.13 reference for def_params.nn and def_repeat.nn: a model whose
blocks own their parameters (LayerNorm, two Linear), repeated with
nn.Sequential. Prints the state_dict as nnc's params JSON (the keys are
PyTorch's module paths, which nnc must produce) and the model's output for a
fixed input. Run: /usr/bin/python3 reference_blocks.py"""
import json
import torch
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.proj(torch.relu(self.fc(self.ln1(x))))


class Model(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(d) for _ in range(n)])
        self.head = nn.Linear(d, 2)

    def forward(self, x):
        return self.head(self.blocks(x))


model = Model(4, 2)
with torch.no_grad():  # LayerNorm starts at 1 and 0: move it so the test sees it
    for name, p in model.named_parameters():
        if "ln1" in name:
            p.add_(0.1 * torch.randn_like(p))
x = torch.randn(2, 3, 4)
params = {k: v.tolist() for k, v in model.state_dict().items()}
print(json.dumps(params))
print(json.dumps({"x": x.tolist()}))
print(json.dumps({"y": model(x).tolist()}))
