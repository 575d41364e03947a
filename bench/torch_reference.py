"""What the environment's own torch measures for the figures verify reports beside their references:
FP8 (E4M3, torch._scaled_mm), BF16, TF32 and strict FP32 GEMMs, and pinned against pageable
host<->device copies. Run with the environment's interpreter on a GPU machine:
    python bench/torch_reference.py [N]
Prints one line per figure; the verify checks go through cuBLASLt and the CUDA runtime directly,
this is the same work through torch for comparison."""
import sys, time
import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 8192
dev = torch.device("cuda")
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0),
      "cc", torch.cuda.get_device_capability(0))
print("defaults: allow_tf32 (matmul)", torch.backends.cuda.matmul.allow_tf32,
      "cudnn.allow_tf32", torch.backends.cudnn.allow_tf32,
      "float32_matmul_precision", torch.get_float32_matmul_precision())


def timed(fn, reps=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True); end = torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record(); fn(); end.record(); end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    times.sort()
    return times[len(times) // 2]


def gemm(dtype_name, a, b, fn):
    seconds = timed(fn)
    print(f"{dtype_name:>5} GEMM {n}^3: {2 * n**3 / seconds / 1e12:7.1f} TFLOP/s ({seconds*1e3:.2f} ms)")


a32 = torch.randn(n, n, device=dev); b32 = torch.randn(n, n, device=dev)
torch.backends.cuda.matmul.allow_tf32 = False
gemm("fp32", a32, b32, lambda: a32 @ b32)
exact = (a32.double() @ b32.double())
err32 = ((a32 @ b32).double() - exact).abs().max().item()
torch.backends.cuda.matmul.allow_tf32 = True
gemm("tf32", a32, b32, lambda: a32 @ b32)
errtf = ((a32 @ b32).double() - exact).abs().max().item()
scale = exact.abs().max().item()
print(f"max error / max |C|: fp32 {err32/scale:.2e}, tf32 {errtf/scale:.2e}")
torch.backends.cuda.matmul.allow_tf32 = False
abf = a32.bfloat16(); bbf = b32.bfloat16()
gemm("bf16", abf, bbf, lambda: abf @ bbf)
if torch.cuda.get_device_capability(0) >= (8, 9):
    a8 = a32.to(torch.float8_e4m3fn); b8 = b32.t().contiguous().to(torch.float8_e4m3fn).t()
    one = torch.tensor(1.0, device=dev)
    gemm("fp8", a8, b8, lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
    ref = a8.float() @ b8.float()
    got = torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.float32)
    print(f"fp8 max error / max |C| against FP32 of the same E4M3 inputs: {((got-ref).abs().max()/ref.abs().max()).item():.2e}")

size = 1 << 30
for pinned in (True, False):
    host = torch.empty(size, dtype=torch.uint8, pin_memory=pinned)
    devbuf = torch.empty(size, dtype=torch.uint8, device=dev)
    h2d = timed(lambda: devbuf.copy_(host, non_blocking=pinned), reps=5)
    d2h = timed(lambda: host.copy_(devbuf, non_blocking=pinned), reps=5)
    kind = "pinned" if pinned else "pageable"
    print(f"{kind:>8} copies 1 GiB: host->device {size/h2d/1e9:6.1f} GB/s, device->host {size/d2h/1e9:6.1f} GB/s")
