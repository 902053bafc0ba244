"""utils.data.WeightedRandomSampler: the same indices as PyTorch's for the same seed (one
multinomial draw per pass), its ValueErrors, and its use as a DataLoader sampler."""
import pytest

import gradcore
from gradcore.utils.data import DataLoader, TensorDataset, WeightedRandomSampler


@pytest.mark.parametrize("weights", [[0.1, 0.9, 0.4, 0.7, 3.0, 0.6], [1.0] * 40,
                                     list(range(1, 100)), (5, 0, 1)])
@pytest.mark.parametrize("replacement, n", [(True, 300), (True, 1), (False, 3)])
def test_indices_match_torch(torch, weights, replacement, n):
    mine = WeightedRandomSampler(weights, n, replacement,
                                 generator=gradcore.Generator().manual_seed(7))
    theirs = torch.utils.data.WeightedRandomSampler(
        weights, n, replacement, generator=torch.Generator().manual_seed(7))
    assert list(mine) == list(theirs)
    assert list(mine) == list(theirs)  # the generator advanced the same way
    assert len(mine) == n


def test_global_generator_matches_torch(torch):
    torch.manual_seed(3)
    gradcore.manual_seed(3)
    w = gradcore.tensor([0.2, 0.5, 0.3], dtype=gradcore.float64)
    mine = list(WeightedRandomSampler(w, 50))
    assert mine == list(torch.utils.data.WeightedRandomSampler(torch.tensor(w.tolist()), 50))
    assert WeightedRandomSampler(w, 5).weights.dtype is gradcore.float64


def test_value_errors_match_torch(torch):
    cases = [([1.0, 2.0], 0, True), ([1.0, 2.0], -1, True), ([1.0, 2.0], True, True),
             ([1.0, 2.0], 2.0, True), ([1.0, 2.0], 2, 1), ([[1.0, 2.0]], 2, True),
             (5.0, 2, True)]
    for weights, n, replacement in cases:
        msgs = []
        for lib in (gradcore, torch):
            with pytest.raises(ValueError) as info:
                lib.utils.data.WeightedRandomSampler(weights, n, replacement)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_drives_a_dataloader():
    ds = TensorDataset(gradcore.arange(6.0))
    weights = [0, 0, 0, 1, 0, 0]
    loader = DataLoader(ds, batch_size=4, sampler=WeightedRandomSampler(weights, 8))
    values = [v for (b,) in loader for v in b.tolist()]
    assert values == [3.0] * 8
