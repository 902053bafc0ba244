"""scaled_dot_product_attention and multi-head attention's functional form."""

METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {}  # nn.functional names
