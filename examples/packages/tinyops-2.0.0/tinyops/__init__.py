"""tinyops 2.0.0: the upgrade that breaks (like a wheel built for a newer CUDA)."""
__version__ = "2.0.0"
raise ImportError("tinyops 2.0.0: CUDA driver version is insufficient for CUDA runtime version")
