"""W5's networks, shared by the PyTorch peer (w5_latency.py) and the ONNX
files of the onnxruntime peer (w5_onnx_models.py): the W3 MLP and the W4 CNN,
each with its softmax, in eval mode."""
import torch

from w4_mnist_cnn import make_net


def w5_networks():
    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(),
                              torch.nn.Linear(512, 10), torch.nn.Softmax(dim=1))
    cnn = torch.nn.Sequential(make_net(), torch.nn.Softmax(dim=1))
    mlp.eval()
    cnn.eval()
    return (("W5-mlp", mlp), ("W5-cnn", cnn))
