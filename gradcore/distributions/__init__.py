"""gradcore.distributions: PyTorch's torch.distributions -- Normal, Bernoulli, Categorical,
Uniform, Independent, MultivariateNormal and kl_divergence -- with sample, rsample (reparameterised,
differentiable), log_prob, entropy, mean, variance and argument validation."""
from . import constraints  # noqa: F401
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from . import kl_cross  # noqa: F401,E402  (the cross-family rules: every family first)
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Normal", "Uniform",
           "kl_divergence", "register_kl"]
__all__ += ["Beta", "Dirichlet", "Exponential", "Gamma"]
