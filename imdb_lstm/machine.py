"""What a result was measured on: the machine, its GPUs, the versions, peak memory."""

import datetime
import importlib
import os
import platform
import resource
import sys
from pathlib import Path

import keras
import numpy as np

from imdb_lstm import threads as thread_counts


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


def threads() -> dict[str, int | str]:
    """The Keras backend's thread counts in this process (imdb_lstm/threads.py)."""
    return thread_counts.recorded(keras.backend.backend())


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


def provenance() -> dict:
    """What every results and benchmark file says about where and when it was measured:
    besides the seed, the machine, the versions and the thread counts fix a run's
    numbers (docs/reproducible.md)."""
    return {
        "versions": versions(),
        "machine": machine_description(),
        "threads": threads(),
        "vector_isa": vector_isa(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
