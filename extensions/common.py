"""`python extensions/lstm_masked.py` puts extensions/ first on the import path, where
an extension's `import common` finds this file: it stands aside for the project's
common.py, one folder up, so that the extensions run by path as the four scripts do."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
del sys.modules[__name__]
import common  # noqa: E402, F401 (the project's, now first on the path; it replaces this one)
