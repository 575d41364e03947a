# envpin's Python probe, run by the environment's own interpreter (`python -c <this> DEVICE
# STEPS BATCH LR [GATE LIMIT_S]`) because that is what users run. With GATE, the probe imports
# torch (and on CUDA runs its first training step) at once, then waits until the file GATE exists
# (or LIMIT_S passed) before it trains on: the suite starts it beside the other checks and opens
# the gate when they are done. It imports torch, records what torch sees
# (CUDA availability, devices, arch list, cuDNN and NCCL versions, warnings such as "The NVIDIA
# driver on your system is too old"), trains a small MLP for a few steps, and prints one line
# "ENVPIN_RESULT {json}" last. envpin judges the figures; this script only reports them.
import contextlib
import json
import os
import sys
import time
import traceback
import warnings

result = {"python": sys.version.split()[0], "executable": sys.executable}


def emit():
    print("ENVPIN_RESULT " + json.dumps(result), flush=True)


def finite_or_none(value):
    return value if value == value and abs(value) != float("inf") else None


def inspect_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import torch

        result["torch"] = torch.__version__
        result["torch_file"] = torch.__file__
        result["cuda_build"] = torch.version.cuda
        available = torch.cuda.is_available()
        result["cuda_available"] = available
        try:  # what FP32 matrix work uses by default in this torch: TF32 or strict FP32
            result["tf32"] = {
                "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
                "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
                "float32_matmul_precision": torch.get_float32_matmul_precision(),
            }
        except Exception:
            pass
        result["device_count"] = torch.cuda.device_count() if available else 0
        if available:
            result["devices"] = [torch.cuda.get_device_name(i) for i in range(result["device_count"])]
            result["arch_list"] = torch.cuda.get_arch_list()
            result["cudnn"] = torch.backends.cudnn.version()
            try:  # what torch was built with, (major, minor, patch)
                result["cudnn_compile"] = list(torch._C._cudnn.getCompileVersion())
            except Exception:
                pass
            try:
                result["nccl"] = ".".join(str(part) for part in torch.cuda.nccl.version())
            except Exception as error:  # a torch built without NCCL
                result["nccl_error"] = str(error)
    result["warnings"] = [str(w.message) for w in caught]
    return torch


def train(torch, device, steps, batch, learning_rate, at_gate):
    """at_gate() waits for the suite's go: on CUDA after the first step (which loads cuBLAS and
    torch's optimizer machinery, seconds of CPU and a few tiny kernels), on the CPU before any."""
    if device != "cuda":
        at_gate()
    torch.manual_seed(20261127)
    centres = 0.2 * torch.randn(10, 784, device=device)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    losses = []
    start = None
    for step in range(steps):
        if step == 1 and device == "cuda":
            torch.cuda.synchronize()
            at_gate()
        if step == 5:
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        labels = torch.randint(0, 10, (batch,), device=device)
        inputs = centres[labels] + 0.5 * torch.randn(batch, 784, device=device)
        optimizer.zero_grad()
        autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if device == "cuda" else None
        with autocast or contextlib.nullcontext():
            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().float())
    values = torch.stack(losses).cpu().tolist()  # synchronizes
    seconds = time.perf_counter() - start
    nonfinite = [i for i, v in enumerate(values) if finite_or_none(v) is None]
    tail = values[-5:]
    result.update(
        device=device,
        steps=steps,
        batch=batch,
        learning_rate=learning_rate,
        initial_loss=finite_or_none(values[0]),
        final_loss=finite_or_none(sum(tail) / len(tail)),
        nonfinite_step=nonfinite[0] if nonfinite else None,
        seconds=seconds,
        samples_per_s=(steps - 5) * batch / seconds,
    )


def wait_at_gate(gate, limit):
    start = time.perf_counter()
    while gate and not os.path.exists(gate) and time.perf_counter() - start < limit:
        time.sleep(0.01)
    return time.perf_counter() - start


def mapped_libraries():
    """Every shared library this process has mapped (/proc/self/maps), resolved."""
    import os

    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip() if line.count(" ") >= 5 else ""
                if path.startswith("/") and ".so" in os.path.basename(path):
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def main():
    want, steps, batch, learning_rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    gate, limit = (sys.argv[5], float(sys.argv[6])) if len(sys.argv) > 6 else ("", 0.0)
    phases = result["phases"] = {}
    try:
        start = time.perf_counter()
        torch = inspect_torch()
        phases["import_s"] = time.perf_counter() - start
        device = "cuda" if want in ("cuda", "auto") and result["cuda_available"] else "cpu"
        start = time.perf_counter()

        def at_gate():
            phases["before_gate_s"] = time.perf_counter() - start
            phases["gate_wait_s"] = wait_at_gate(gate, limit)

        train(torch, device, steps, batch, learning_rate, at_gate)
        phases["train_s"] = time.perf_counter() - start - phases.get("gate_wait_s", 0)
        result["libraries"] = mapped_libraries()
    except BaseException as error:  # report everything, including SystemExit from a broken import
        result["error"] = "".join(traceback.format_exception_only(type(error), error)).strip()
        result["traceback"] = traceback.format_exc()[-4000:]
    emit()


main()
