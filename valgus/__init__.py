"""valgus: rep-by-rep dynamic knee valgus and hip-weakness screening from one camera."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
