"""ChannelShuffle: the channel_shuffle layer (torch.nn.modules.channelshuffle)."""
from ...ops import resample
from ..module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """ChannelShuffle(groups)

    Divide the channels of a (N, C, *) input into ``groups`` groups and interleave them:
    (N, g, C / g, *) transposed to (N, C / g, g, *), the shape kept (ShuffleNet's shuffle).

    Args:
        groups: the number of groups the channels are divided into.

    Shape:
        (N, C, *) -> (N, C, *), C divisible by groups.

    Example:
        >>> nn.ChannelShuffle(2)(torch.arange(4.).view(1, 4, 1, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return resample.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
