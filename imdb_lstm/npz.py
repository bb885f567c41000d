"""Reading a Keras imdb.npz without running code from it.

Keras stores the reviews as object arrays, which NumPy can only read with pickle, and
an unpickler runs whatever the file asks for. Here the arrays may unpack to no more than
compressed input may (imdb_lstm/files.py unpack_limit), numeric arrays are read without
pickle, and object arrays through an unpickler that builds nothing but NumPy arrays
(as keras.datasets.imdb does since Keras 3.15.1)."""

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np

from imdb_lstm import files
from imdb_lstm.errors import UserError

# What pickling an object array refers to: the array type, its dtype and the function
# that rebuilds it (numpy._core since NumPy 2, numpy.core before).
_ARRAY_PARTS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


# What unpickling damaged data raises: pickle's documented errors, and NumPy's when the
# array it rebuilds makes no sense.
_DAMAGED_PICKLE = (
    pickle.UnpicklingError,
    AttributeError,
    EOFError,
    ImportError,
    IndexError,
    TypeError,
    ValueError,
)


class NotArrays(Exception):
    """The file asks to build something other than NumPy arrays."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ARRAY_PARTS:
            raise NotArrays(f"{module}.{name}")
        return super().find_class(module, name)


def _read_npy(raw: bytes) -> np.ndarray:
    file = io.BytesIO(raw)
    version = np.lib.format.read_magic(file)
    if version not in _HEADER_READERS:
        raise ValueError(f".npy format version {version} is not supported")
    _, _, dtype = _HEADER_READERS[version](file)
    if not dtype.hasobject:
        file.seek(0)
        return np.lib.format.read_array(file, allow_pickle=False)
    try:
        array = _ArraysOnlyUnpickler(file).load()
    except NotArrays:
        raise
    except _DAMAGED_PICKLE as error:
        raise ValueError(f"damaged object array ({error!r})") from None
    if not isinstance(array, np.ndarray):
        raise NotArrays(type(array).__name__)
    return array


def read_arrays(path: Path, names: list[str]) -> list[np.ndarray]:
    """The arrays `names` of an .npz file, each read safely; UserError if any is missing,
    unreadable or not made of arrays."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            missing = sorted(name for name in names if f"{name}.npy" not in members)
            if missing:
                raise UserError(f"{path}: not a Keras imdb.npz, missing {', '.join(missing)}")
            # zipfile reads no entry past its declared size: bounded before any is read.
            declared = sum(archive.getinfo(f"{name}.npy").file_size for name in names)
            if declared > files.unpack_limit(path.stat().st_size):
                raise files.unpack_refusal(path, declared)
            return [_read_npy(archive.read(f"{name}.npy")) for name in names]
    except NotArrays:
        raise UserError(
            f"{path}: not a Keras imdb.npz: it holds Python objects other than arrays "
            "(refused to load them, as they could run code)"
        ) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as error:
        raise UserError(f"{path}: unreadable .npz ({error})") from None
