"""gradcore.distributions: PyTorch's torch.distributions -- Normal, Bernoulli, Categorical,
Uniform, Independent, MultivariateNormal and kl_divergence -- with sample, rsample (reparameterised,
differentiable), log_prob, entropy, mean, variance and argument validation."""
from . import constraints  # noqa: F401
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Normal", "Uniform",
           "kl_divergence", "register_kl"]
