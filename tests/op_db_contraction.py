"""OpInfo entries for gradcore/ops/contraction.py (registered into op_db.OP_DB)."""
from op_db import register  # noqa: F401
