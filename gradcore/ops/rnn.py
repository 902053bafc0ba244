"""The recurrent cells' math (RNN, LSTM, GRU steps) and the packed-sequence helpers."""

METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {}  # nn.functional names
