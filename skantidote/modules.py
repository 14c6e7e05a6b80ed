"""Built-in PyTorch modules for :class:`~skantidote.AntidoteClassifier`.

Both modules return *logits* (unnormalised class scores): the ANTIDOTE loss
applies the log-softmax itself, and the classifier applies a softmax once in
``predict_proba``.

* :class:`MLP` -- a fully connected ReLU network for tabular data, sized from
  the number of features and classes.
* :class:`CNN` -- a small VGG-style convolutional network for images given as
  flattened rows of a 2-D array (scikit-learn estimators take 2-D ``X``), with
  the image shape passed as ``input_shape``, e.g. ``(1, 8, 8)`` for the digits
  data or ``(3, 32, 32)`` for CIFAR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from skantidote.validation import check_positive_int, check_real, check_sizes

__all__ = ["MLP", "CNN"]


class MLP(nn.Module):
    """Fully connected ReLU network returning logits (or regression outputs).

    ``Linear -> ReLU [-> Dropout]`` for every hidden layer, then a final
    ``Linear`` to ``n_classes`` logits, or to ``n_outputs`` values for regression.
    There is deliberately no batch normalisation: the last minibatch of an epoch can
    hold a single row, and the network should predict every row independently of the
    others.

    Parameters
    ----------
    n_features : int
        Number of input features (columns of ``X``).
    n_classes : int, optional
        Number of classes (output logits); at least 2.
    hidden_layer_sizes : sequence of int, default=(256, 256)
        Width of each hidden layer; ``()`` gives a linear (softmax regression)
        model.
    dropout : float, default=0.0
        Dropout probability after every hidden activation.
    n_outputs : int, optional
        Number of regression outputs; at least 1. Exactly one of ``n_classes`` and
        ``n_outputs``.

    Examples
    --------
    >>> import torch
    >>> from skantidote.modules import MLP
    >>> net = MLP(n_features=4, n_classes=3, hidden_layer_sizes=(16,))
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    >>> MLP(n_features=4, n_outputs=1)(torch.zeros(5, 4)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int | None = None,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        dropout: float = 0.0,
        n_outputs: int | None = None,
    ) -> None:
        super().__init__()
        n_features = check_positive_int("n_features", n_features)
        if (n_classes is None) == (n_outputs is None):
            raise ValueError(
                "Give exactly one of n_classes (classification) and n_outputs (regression); "
                f"got n_classes={n_classes!r}, n_outputs={n_outputs!r}."
            )
        if n_classes is not None:
            width_out = n_classes = check_positive_int("n_classes", n_classes, minimum=2)
        else:
            width_out = n_outputs = check_positive_int("n_outputs", n_outputs)
        sizes = check_sizes("hidden_layer_sizes", hidden_layer_sizes, allow_empty=True)
        dropout = check_real("dropout", dropout, 0.0, 1.0, high_open=True)
        layers: list[nn.Module] = []
        width = n_features
        for size in sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, width_out))
        self.layers = nn.Sequential(*layers)
        self.n_features = n_features
        self.n_classes = n_classes
        self.n_outputs = n_outputs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n_samples, n_classes)`` for ``X`` of shape
        ``(n_samples, n_features)``."""
        return self.layers(X)


class CNN(nn.Module):
    """Small VGG-style convolutional network for images, returning logits.

    Each stage is ``(Conv3x3 -> BatchNorm -> ReLU) x 2 -> MaxPool2``, with the
    number of channels given by ``channels``; pooling is skipped once the image
    is down to 1 pixel, so the same default works for 8x8 digits and 32x32
    CIFAR images. A global average pool and a linear layer produce the logits.

    The input is a batch of *flattened* images (one row of ``X`` per image, in
    ``(channels, height, width)`` order, as ``images.reshape(len(images), -1)``
    gives for ``(n, C, H, W)`` arrays); the module reshapes it to
    ``(n, *input_shape)``. 4-D tensors of the right shape are accepted too.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image, e.g. ``(1, 8, 8)`` or
        ``(3, 32, 32)``. A 2-tuple ``(height, width)`` means one channel.
    n_classes : int
        Number of classes (output logits); at least 2.
    channels : sequence of int, default=(32, 64, 128)
        Output channels of each stage.
    dropout : float, default=0.0
        Dropout probability before the final linear layer.

    Examples
    --------
    >>> import torch
    >>> from skantidote.modules import CNN
    >>> net = CNN(input_shape=(1, 8, 8), n_classes=10, channels=(8, 16))
    >>> net(torch.zeros(5, 64)).shape
    torch.Size([5, 10])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        channels: Sequence[int] = (32, 64, 128),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        shape = check_sizes("input_shape", input_shape, allow_empty=False)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3:
            raise ValueError(
                "input_shape must be (channels, height, width) or (height, width), "
                f"got {tuple(input_shape)!r}."
            )
        n_classes = check_positive_int("n_classes", n_classes, minimum=2)
        channels = check_sizes("channels", channels, allow_empty=False)
        dropout = check_real("dropout", dropout, 0.0, 1.0, high_open=True)

        layers: list[nn.Module] = []
        width_in, height, width = shape
        for width_out in channels:
            for _ in range(2):
                layers += [
                    # The convolution's bias is redundant before batch normalisation.
                    nn.Conv2d(width_in, width_out, kernel_size=3, padding=1, bias=False),
                    nn.BatchNorm2d(width_out),
                    nn.ReLU(),
                ]
                width_in = width_out
            if min(height, width) >= 2:
                layers.append(nn.MaxPool2d(2))
                height, width = height // 2, width // 2
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width_in, n_classes))
        self.layers = nn.Sequential(*layers)
        self.input_shape = shape
        self.n_features = math.prod(shape)
        self.n_classes = n_classes

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n_samples, n_classes)``.

        ``X`` is ``(n_samples, prod(input_shape))`` or ``(n_samples, *input_shape)``.
        """
        if X.ndim == 2:
            if X.shape[1] != self.n_features:
                raise ValueError(
                    f"CNN with input_shape={self.input_shape} expects rows of "
                    f"{self.n_features} values, got {X.shape[1]}."
                )
            X = X.reshape(X.shape[0], *self.input_shape)
        return self.layers(X)
