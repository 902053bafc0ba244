"""Resampling and padding: interpolate, pad, grid_sample, affine_grid, fold/unfold, pixel_shuffle."""

METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {}  # nn.functional names
