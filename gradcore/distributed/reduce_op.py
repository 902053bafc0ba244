"""ReduceOp: the reductions of all_reduce / reduce / reduce_scatter, PyTorch's names, and the
checks of which dtypes each accepts."""
import enum

__all__ = ["ReduceOp"]

# PyTorch's scalar type names in its casting error
_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool"}


class _RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


_RedOpType.__name__ = _RedOpType.__qualname__ = "RedOpType"


class ReduceOp:
    """ReduceOp: the reduction a collective applies, ``ReduceOp.SUM``, ``AVG``, ``PRODUCT``,
    ``MIN``, ``MAX``, ``BAND``, ``BOR``, ``BXOR`` (members of ``ReduceOp.RedOpType``, as
    PyTorch's: ``repr(ReduceOp.SUM)`` is ``<RedOpType.SUM: 0>``).  The bitwise ones take
    integer and bool tensors only; on bool tensors SUM and MAX are a logical or, PRODUCT and
    MIN a logical and.  ``PREMUL_SUM`` (NCCL's scaled sum) is named but not supported."""

    RedOpType = _RedOpType
    SUM = _RedOpType.SUM
    AVG = _RedOpType.AVG
    PRODUCT = _RedOpType.PRODUCT
    MIN = _RedOpType.MIN
    MAX = _RedOpType.MAX
    BAND = _RedOpType.BAND
    BOR = _RedOpType.BOR
    BXOR = _RedOpType.BXOR
    PREMUL_SUM = _RedOpType.PREMUL_SUM

    def __new__(cls, op=_RedOpType.SUM):
        return as_op(op)


def as_op(op):
    """The RedOpType ``op`` is, else a TypeError (PyTorch refuses a string too)."""
    if isinstance(op, _RedOpType):
        return op
    raise TypeError(f"Invalid function argument: op should be a ReduceOp member "
                    f"(ReduceOp.SUM ...), got {op!r}")


def check(op, dt, name="all_reduce"):
    """Refuse ``op`` on a tensor of dtype ``dt`` where PyTorch does (its messages); ``name``:
    the collective's."""
    op = as_op(op)
    if op in (_RedOpType.BAND, _RedOpType.BOR, _RedOpType.BXOR) and (
            dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op in (_RedOpType.MIN, _RedOpType.MAX) and dt.is_complex:
        raise ValueError(f"{name} does not support {op} on complex tensors")
    if op is _RedOpType.AVG and not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_TYPE_NAMES.get(dt.name, dt.name)}")
    if op is _RedOpType.PREMUL_SUM:
        raise RuntimeError("ReduceOp.PREMUL_SUM is not supported by gradcore's backends "
                           "(NCCL's scaled sum): scale the tensor and use ReduceOp.SUM")
    return op
