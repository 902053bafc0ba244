"""OpInfo entries for gradcore/ops/scan.py (registered into op_db.OP_DB)."""
from op_db import register  # noqa: F401
