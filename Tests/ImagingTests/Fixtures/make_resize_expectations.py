"""Prints the PyTorch resize outputs stored in TorchResizedValues.swift (made with torch 2.13.0+cpu).

Run: python make_resize_expectations.py. Shrinking axes use adaptive_avg_pool2d, enlarging axes
interpolate(mode="bilinear", align_corners=False); mixed cases pool first, then interpolate.
Large outputs are stored as every 37th sample (torch switches bilinear kernels above 128 rows+cols).
"""
import torch, torch.nn.functional as F, numpy as np
torch.set_num_threads(1)
def inp(c,h,w):
    v=[((ci*131 + y*37 + x*11) % 101)/100 for ci in range(c) for y in range(h) for x in range(w)]
    return torch.tensor(v,dtype=torch.float32).reshape(1,c,h,w)
def resize(x,oh,ow):
    _,_,h,w=x.shape
    if oh<h: x=F.adaptive_avg_pool2d(x,(oh,x.shape[3]))
    if ow<w: x=F.adaptive_avg_pool2d(x,(x.shape[2],ow))
    if oh>h or ow>w: x=F.interpolate(x,size=(oh,ow),mode='bilinear',align_corners=False)
    return x
def both(x,oh,ow):
    _,_,h,w=x.shape
    if oh<=h and ow<=w: return F.adaptive_avg_pool2d(x,(oh,ow))
    if oh>=h and ow>=w: return F.interpolate(x,size=(oh,ow),mode='bilinear',align_corners=False)
    return resize(x,oh,ow)
cases=[("shrink",1,7,9,3,4),("enlarge",1,5,4,11,7),("mixedShrinkHeight",3,9,4,4,10),("mixedEnlargeHeight",1,3,8,7,5),("shrinkRGB",3,31,23,8,5),("enlargeRGB",3,3,2,8,5),("shrinkLarge",1,100,130,7,9),("enlargeLargeEvery37th",1,7,6,93,71)]
for name,c,h,w,oh,ow in cases:
    y=both(inp(c,h,w),oh,ow).flatten()
    if name.endswith("Every37th"): y=y[::37]
    print(f"    // {name}: {c} x {h} x {w} -> {oh} x {ow}")
    print(f"    static let {name}: [Float] = [" + ", ".join(str(np.float32(v)) for v in y.tolist()) + "]")
