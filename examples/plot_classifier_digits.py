"""
=========================================================
AntidoteClassifier on digit images with 40 % noisy labels
=========================================================

A neural network trained with cross-entropy on noisy labels first learns what most
labels agree on, then *memorises* the wrong ones, and its test accuracy falls from the
peak it reached on the way. :class:`~skantidote.AntidoteClassifier` trains the same
network with the ANTIDOTE objective, which forgets the rows the network finds hardest
to fit: mostly the wrong labels.

Here both train the built-in convolutional network (``module="cnn"``) on the 8x8
``digits`` images, with 40 % of the training labels replaced by a random other digit,
and we follow the accuracy on the *clean* test labels after every epoch.
"""

# %%
# Images as rows
# --------------
#
# scikit-learn estimators take 2-D ``X``, so images are passed as flattened rows in
# ``(channels, height, width)`` order, and the CNN is told their shape with
# ``module__input_shape``. Pixels are scaled to [0, 1].

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from skantidote import AntidoteClassifier
from skantidote.noise import symmetric_noise

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)  # 1797 images of 8x8 = 64 pixels, one per row
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_noisy, is_noisy = symmetric_noise(y_train, 0.4, random_state=0)
print(f"{is_noisy.mean():.0%} of the training labels are wrong")

# %%
# Watching the test accuracy during training
# ------------------------------------------
#
# ``callbacks`` takes skorch callbacks, which see the underlying skorch network after
# every epoch. This one records the accuracy on the clean test labels (the digits
# ``0 .. 9`` are their own class codes, so the network's predictions compare directly).


class TestAccuracy(Callback):
    def initialize(self):
        self.scores_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.scores_.append(np.mean(net.predict(X_test) == y_test))


def fit(forget_rate):
    scorer = TestAccuracy()
    clf = AntidoteClassifier(
        "cnn",
        module__input_shape=(1, 8, 8),
        module__channels=(16, 32),
        forget_rate=forget_rate,
        max_epochs=40,
        warmup_epochs=5,
        callbacks=[scorer],
        random_state=0,
    )
    clf.fit(X_train, y_noisy)
    return clf, scorer.scores_


antidote, antidote_curve = fit(forget_rate=0.4)  # forget_rate = the noise rate
ce, ce_curve = fit(forget_rate=0.0)  # forget_rate=0 is plain cross-entropy
print(f"test accuracy, ANTIDOTE:      {antidote.score(X_test, y_test):.3f}")
print(f"test accuracy, cross-entropy: {ce.score(X_test, y_test):.3f}")

# %%
# Cross-entropy peaks early and then fits the noise; ANTIDOTE keeps improving after the
# warm-up (dotted line), because it no longer learns from the rows it has forgotten.
# The ``forgotten`` column of ``history_`` is the fraction of minibatch rows whose
# weight is below 0.1: it settles close to the noise rate.

epochs = np.arange(1, len(ce_curve) + 1)
history = antidote.history_
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
left.plot(epochs, antidote_curve, label="ANTIDOTE (forget_rate=0.4)")
left.plot(epochs, ce_curve, label="cross-entropy")
left.axvline(5.5, color="gray", linestyle=":")
left.set_xlabel("epoch")
left.set_ylabel("accuracy on clean test labels")
left.legend()
right.plot(epochs, [h["forgotten"] for h in history], color="tab:purple")
right.axhline(0.4, color="gray", linestyle="--", label="true noise rate")
right.axvline(5.5, color="gray", linestyle=":")
right.set_xlabel("epoch")
right.set_ylabel("fraction of rows forgotten")
right.legend()
fig.tight_layout()

# %%
# Which training labels does the model doubt?
# -------------------------------------------
#
# ``sample_weights_`` is the ANTIDOTE weight of every training row under the final
# model (mean 1). Wrong labels end with weights near 0, so the weights also point at the
# rows to inspect, which is what :class:`~skantidote.NoisyLabelFilter` builds on.

weights = antidote.sample_weights_
print(f"mean weight, wrong labels:   {weights[is_noisy].mean():.3f}")
print(f"mean weight, correct labels: {weights[~is_noisy].mean():.3f}")

doubtful = np.argsort(weights)[:8]
fig, axes = plt.subplots(1, 8, figsize=(10, 2.4))
for ax, i in zip(axes, doubtful, strict=True):
    ax.imshow(X_train[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"given {y_noisy[i]}\ntrue {y_train[i]}", fontsize=9)
    ax.axis("off")
fig.suptitle("the 8 lowest-weight training images")
fig.tight_layout()
