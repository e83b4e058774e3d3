"""Robot assets shipped with the package (no downloads at run time)."""

from .unitree_a1 import UNITREE_A1_CFG, UNITREE_A1_USD_PATH

__all__ = ["UNITREE_A1_CFG", "UNITREE_A1_USD_PATH"]
