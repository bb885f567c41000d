"""What a result was measured on: the machine, its GPUs, the versions, peak memory."""

import importlib
import os
import platform
import resource
import sys
from pathlib import Path

import keras
import numpy as np


def gpu_names() -> list[str]:
    """The GPUs the Keras backend will use; empty on a CPU-only machine."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        details = tf.config.experimental.get_device_details
        return [
            details(g).get("device_name", g.name) for g in tf.config.list_physical_devices("GPU")
        ]
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def cpu_info(field: str) -> str:
    """A field of /proc/cpuinfo's first processor ("" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == field:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def vector_isa() -> str:
    """The widest x86 vector instructions the CPU has: kernels and their rounding differ
    between them, so results name it. "" where unknown (another architecture)."""
    flags = cpu_info("flags").split()
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")):
        if flag in flags:
            return name
    return ""


# The thread counts a run was given, by backend: they change its rounding, so results
# and checkpoints record them. "default" is the backend's own choice (for TensorFlow, one
# thread per CPU core in each pool).
THREAD_SETTINGS = {
    "tensorflow": {"intra_op": "TF_NUM_INTRAOP_THREADS", "inter_op": "TF_NUM_INTEROP_THREADS"},
    "torch": {"intra_op": "OMP_NUM_THREADS"},
}


def threads() -> dict[str, int | str]:
    """The backend's thread counts as this process set them, e.g. {"intra_op": 1,
    "inter_op": 1}, or "default" where none was set."""
    settings = THREAD_SETTINGS.get(keras.backend.backend(), {})
    return {pool: int(os.environ.get(name) or 0) or "default" for pool, name in settings.items()}


def machine_description() -> str:
    """CPU model, cores and vector instructions, and GPUs if any, e.g. "AMD EPYC (2 cores,
    AVX-512)"."""
    cpu = cpu_info("model name") or platform.processor() or platform.machine()
    details = ", ".join(filter(None, [f"{os.cpu_count()} cores", vector_isa()]))
    gpus = gpu_names()
    return f"{cpu} ({details})" + (f", GPU: {', '.join(gpus)}" if gpus else "")


def versions() -> dict[str, str]:
    """Python, Keras, the backend and NumPy, each from its own __version__: never an
    error after training, whatever name the backend was installed under."""
    backend = keras.backend.backend()
    try:
        backend_version = getattr(importlib.import_module(backend), "__version__", "unknown")
    except ImportError:
        backend_version = "unknown"
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        backend: backend_version,
        "numpy": np.__version__,
    }


def peak_memory_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
