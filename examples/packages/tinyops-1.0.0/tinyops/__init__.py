"""tinyops 1.0.0: a working release."""
__version__ = "1.0.0"


def axpy(a, x, y):
    return [a * xi + yi for xi, yi in zip(x, y)]
