"""The U-Net-like autoencoder, built only from ops the model file and the Swift runtime support.

Shape walk for input [C, H, W] (H, W multiples of 8), widths (w1, w2, w3) = (16, 32, 64):
  enc1  conv3x3 C->w1 lrelu                 H
  enc2  conv3x3 s2 w1->w2 lrelu             H/2
  enc3  conv3x3 w2->w2 lrelu                H/2   skip e2
  enc4  conv3x3 s2 w2->w3 lrelu             H/4   skip e4
  enc5  conv3x3 s2 w3->w3 lrelu             H/8
  mid   3 dilated conv3x3 (2, 4, 8) lrelu, residual add
  dec1  upsample x2, conv3x3 w3->w3 lrelu   H/4   gated skip with e4
  dec2  upsample x2, conv3x3 w3->w2 lrelu   H/2   gated skip with e2
  dec3  upsample x2, conv3x3 w2->w1 lrelu   H
  out   conv3x3 w1->C                       H
A gated skip is g = sigmoid(conv1x1(concat(d, e))), d = mix(g, e, d) = g*e + (1-g)*d.
There is deliberately no full-resolution skip: it would let the network copy the input, defects
included, and the reconstruction error would no longer show them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .graph import Node, conv_node


@dataclass
class ModelConfig:
    channels: int = 1
    widths: tuple[int, int, int] = (16, 32, 64)
    dilations: tuple[int, ...] = (2, 4, 8)
    alpha: float = 0.2

    size_multiple: int = 8  # three stride-2 stages

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        d["dilations"] = list(self.dilations)
        return d

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        return ModelConfig(channels=int(d["channels"]), widths=tuple(d["widths"]),
                           dilations=tuple(d["dilations"]), alpha=float(d["alpha"]),
                           size_multiple=int(d.get("size_multiple", 8)))


class AutoEncoder(nn.Module):
    def __init__(self, config: ModelConfig | None = None):
        super().__init__()
        self.config = config or ModelConfig()
        c = self.config.channels
        w1, w2, w3 = self.config.widths

        def conv(cin, cout, k=3, stride=1, dilation=1):
            return nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k // 2),
                             dilation=dilation)

        self.enc1 = conv(c, w1)
        self.enc2 = conv(w1, w2, stride=2)
        self.enc3 = conv(w2, w2)
        self.enc4 = conv(w2, w3, stride=2)
        self.enc5 = conv(w3, w3, stride=2)
        self.mid = nn.ModuleList([conv(w3, w3, dilation=d) for d in self.config.dilations])
        self.dec1 = conv(w3, w3)
        self.gate1 = conv(2 * w3, w3, k=1)
        self.dec2 = conv(w3, w2)
        self.gate2 = conv(2 * w2, w2, k=1)
        self.dec3 = conv(w2, w1)
        self.out = conv(w1, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.config.alpha
        act = lambda t: F.leaky_relu(t, a)  # noqa: E731
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)  # noqa: E731

        h = act(self.enc1(x))
        h = act(self.enc2(h))
        e2 = act(self.enc3(h))
        e4 = act(self.enc4(e2))
        h = act(self.enc5(e4))
        m = h
        for layer in self.mid:
            m = act(layer(m))
        h = h + m
        d = act(self.dec1(up(h)))
        g = torch.sigmoid(self.gate1(torch.cat([d, e4], dim=1)))
        d = g * e4 + (1 - g) * d
        d = act(self.dec2(up(d)))
        g = torch.sigmoid(self.gate2(torch.cat([d, e2], dim=1)))
        d = g * e2 + (1 - g) * d
        d = act(self.dec3(up(d)))
        return self.out(d)

    def graph(self) -> tuple[list[Node], int]:
        """The forward pass written out as a node list (same order, same math) and its output
        value. Parameter names are the state_dict keys, so `dict(self.state_dict())` runs it."""
        a = self.config.alpha
        sd = self.state_dict()
        nodes: list[Node] = []

        def add(node: Node) -> int:
            nodes.append(node)
            return len(nodes)  # value id of this node's output

        def conv(inp: int, name: str, stride=1, dilation=1, activation="leaky_relu") -> int:
            w = sd[f"{name}.weight"]
            return add(conv_node(inp, f"{name}.weight", f"{name}.bias", tuple(w.shape),
                                 stride=stride, dilation=dilation, activation=activation,
                                 alpha=a if activation == "leaky_relu" else 0.0))

        def up(inp: int) -> int:
            return add(Node("upsample_bilinear", [inp], {"scale": 2}))

        h = conv(0, "enc1")
        h = conv(h, "enc2", stride=2)
        e2 = conv(h, "enc3")
        e4 = conv(e2, "enc4", stride=2)
        h = conv(e4, "enc5", stride=2)
        m = h
        for i, dil in enumerate(self.config.dilations):
            m = conv(m, f"mid.{i}", dilation=dil)
        h = add(Node("add", [h, m]))
        d = conv(up(h), "dec1")
        g = conv(add(Node("concat", [d, e4])), "gate1", activation="sigmoid")
        d = add(Node("mix", [g, e4, d]))
        d = conv(up(d), "dec2")
        g = conv(add(Node("concat", [d, e2])), "gate2", activation="sigmoid")
        d = add(Node("mix", [g, e2, d]))
        d = conv(up(d), "dec3")
        out = conv(d, "out", activation="none")
        return nodes, out
