"""Writes mm-small's encoder as the peers run it: one PyTorch module, seeded, saved as TorchScript and as ONNX, so
that both peers hold the same weights (benchmarks/src/main/java/io/mmfuse/benchmarks/PeersBenchmark.java).

The module is what mmfuse's forward pass computes for a batch, minus the token lookups: the image patches
[B, 196, 768] projected to the width, put after the CLS, text and table embeddings [B, 81, 256], four pre-norm GELU
encoder layers (PyTorch's own nn.TransformerEncoder: width 256, 4 heads, feed-forward 1024), a final LayerNorm and
the pooler (dense + tanh on the first token).

Run with Debian's python3-torch (1.13):  python3 benchmarks/peers/export_peers.py OUT_DIR
"""
import sys

import torch
from torch import nn

WIDTH, HEADS, FFN, LAYERS = 256, 4, 1024, 4
PATCHES, PATCH_FEATURES, OTHER_TOKENS = 196, 768, 81


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.projection = nn.Linear(PATCH_FEATURES, WIDTH)
        layer = nn.TransformerEncoderLayer(WIDTH, HEADS, FFN, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(WIDTH), enable_nested_tensor=False)
        self.pooler = nn.Linear(WIDTH, WIDTH)

    def forward(self, embedded, patches):
        x = torch.cat([embedded, self.projection(patches)], dim=1)
        x = self.encoder(x)
        return torch.tanh(self.pooler(x[:, 0, :]))


def main(out):
    torch.manual_seed(1)
    model = Encoder().eval()
    # nn.TransformerEncoder starts its layers as copies of one: drawn anew, every layer has weights of its own (ONNX
    # would otherwise keep one copy for all four, which fits a cache that mmfuse's distinct weights do not).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p) if name.endswith("weight") else 0.1 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.02)
    for batch in (16, 1):
        embedded = torch.randn(batch, OTHER_TOKENS, WIDTH)
        patches = torch.randn(batch, PATCHES, PATCH_FEATURES)
        # TorchScript traced without gradients takes PyTorch's fused inference kernels for the encoder layers (its
        # "fast path", _transformer_encoder_layer_fwd), as a PyTorch user's inference would.
        with torch.no_grad():
            traced = torch.jit.trace(model, (embedded, patches))
            traced.save(f"{out}/encoder-b{batch}.pt")
            expected = model(embedded, patches)
            assert torch.allclose(traced(embedded, patches), expected, atol=1e-5)
        # ONNX has no fused layer op: the export traces the plain layers (with gradients on, the fast path is off);
        # ONNX Runtime's graph optimizations fuse them again (attention, LayerNorm, GELU).
        torch.onnx.export(model, (embedded, patches), f"{out}/encoder-b{batch}.onnx", opset_version=14,
                          input_names=["embedded", "patches"], output_names=["pooled"])
        # The inputs and PyTorch's output, as little-endian float32, so that the benchmark feeds both peers the same
        # numbers and checks what each returns.
        embedded.numpy().astype("<f4").tofile(f"{out}/embedded-b{batch}.f32")
        patches.numpy().astype("<f4").tofile(f"{out}/patches-b{batch}.f32")
        expected.numpy().astype("<f4").tofile(f"{out}/pooled-b{batch}.f32")
    print("wrote", out, "torch", torch.__version__)


if __name__ == "__main__":
    main(sys.argv[1])
