"""Mirror of ``aihwkit.simulator.configs.compounds`` (unit cells, transfer compounds)."""

from analogtrain.configs import (
    BufferedTransferCompound,
    ChoppedTransferCompound,
    DifferenceUnitCell,
    DigitalRankUpdateCell,
    DynamicTransferCompound,
    MixedPrecisionCompound,
    OneSidedUnitCell,
    ReferenceUnitCell,
    TransferCompound,
    UnitCell,
    VectorUnitCell,
)

__all__ = [
    "BufferedTransferCompound",
    "ChoppedTransferCompound",
    "DifferenceUnitCell",
    "DigitalRankUpdateCell",
    "DynamicTransferCompound",
    "MixedPrecisionCompound",
    "OneSidedUnitCell",
    "ReferenceUnitCell",
    "TransferCompound",
    "UnitCell",
    "VectorUnitCell",
]
