"""Small, fast estimators shared by the test modules."""

from skantidote import AntidoteClassifier


def tiny(**params) -> AntidoteClassifier:
    """An AntidoteClassifier that trains in a fraction of a second on toy data."""
    defaults = dict(
        hidden_layer_sizes=(8,), max_epochs=2, warmup_epochs=1, batch_size=32,
        random_state=0, device="cpu",
    )
    defaults.update(params)
    return AntidoteClassifier(**defaults)
