"""seqlens: can you trust what your regulatory-DNA model learned?

Synthetic DNA with known ground truth, the papers' model zoo, robust training, attribution
methods with off-simplex gradient correction, and scoring of what models learned against
the truth. Submodules are imported on use; ``import seqlens`` stays cheap.
"""

__version__ = "0.1.0"
