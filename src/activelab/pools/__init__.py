"""Where the rows live when they are not one in-memory array: `ParquetPool` (Parquet shards or a
Ray Dataset, addressed by id), for `activelab.query(pool, labels=..., backend=...)`."""

from .parquet import FeatureSpec, ParquetPool, Piece

__all__ = ["FeatureSpec", "ParquetPool", "Piece"]
