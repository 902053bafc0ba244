"""Distances and similarities: cosine_similarity, pairwise_distance, pdist, one_hot, normalize."""

METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {}  # nn.functional names
