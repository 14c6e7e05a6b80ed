"""
=============================================
AntidoteLoss in a plain PyTorch training loop
=============================================

:class:`~skantidote.AntidoteLoss` is an ordinary ``torch.nn.Module``: it takes logits and
integer targets, like ``torch.nn.CrossEntropyLoss``, and returns a scalar to call
``backward()`` on. Inside, it solves ANTIDOTE's inner problem for every minibatch: the
*most favourable* reweighting of the batch within a divergence ball of radius ``delta``.
Rows with a large loss get a small weight and stop pulling the model towards their
(probably wrong) label.

This example trains a small network on synthetic data in which 30 % of the training
labels were replaced by a random other class, and follows the ANTIDOTE weight that the
corrupted and the clean rows receive as training goes on.
"""

# %%
# Data with known label noise
# ---------------------------
#
# :func:`skantidote.noise.symmetric_noise` relabels exactly 30 % of every class to a
# uniformly random other class and tells us which rows it changed, so we can check what
# the loss does with them.

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skantidote import AntidoteLoss
from skantidote.modules import MLP
from skantidote.noise import symmetric_noise

X, y = make_classification(
    n_samples=3000,
    n_features=20,
    n_informative=10,
    n_classes=4,
    n_clusters_per_class=1,
    class_sep=1.5,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
y_noisy, is_noisy = symmetric_noise(y_train, 0.3, random_state=0)
print(f"{is_noisy.sum()} of {len(y_noisy)} training labels are wrong")

X_train_t = torch.as_tensor(X_train, dtype=torch.float32)
y_noisy_t = torch.as_tensor(y_noisy)
X_test_t = torch.as_tensor(X_test, dtype=torch.float32)

# %%
# The training loop
# -----------------
#
# The only change from a cross-entropy loop is the criterion. ``forget_rate=0.3`` sets the
# radius of the ball to the divergence of a distribution that drops 30 % of the data,
# ``delta = -log(1 - 0.3)`` for the default KL divergence. During the first epochs every
# row has about the same loss (the network has learnt nothing yet), so the reweighting
# would be arbitrary: we *warm up* with plain cross-entropy by switching the criterion's
# ``enabled`` flag off. (:class:`~skantidote.AntidoteClassifier` does this for you, with
# ``warmup_epochs``.)
#
# After every epoch we compute the ANTIDOTE weights of the *whole* training set with
# :meth:`~skantidote.AntidoteLoss.weights`, which solves the same problem for any vector
# of losses without touching the criterion's state.

# Scores the whole training set after every epoch (its state is never changed).
forgetting = AntidoteLoss(forget_rate=0.3)


def train(criterion, n_epochs=40, warmup_epochs=5, seed=0):
    torch.manual_seed(seed)
    model = MLP(n_features=20, n_classes=4, hidden_layer_sizes=(128, 128))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(n_epochs):
        criterion.enabled = epoch >= warmup_epochs
        model.train()
        order = torch.randperm(len(X_train_t), generator=generator)
        for batch in order.split(128):
            optimizer.zero_grad()
            loss = criterion(model(X_train_t[batch]), y_noisy_t[batch])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            losses = F.cross_entropy(model(X_train_t), y_noisy_t, reduction="none")
            weights = forgetting.weights(losses).numpy()
            test_acc = (model(X_test_t).argmax(1).numpy() == y_test).mean()
        history.append(
            {
                "weight (wrong labels)": weights[is_noisy].mean(),
                "weight (correct labels)": weights[~is_noisy].mean(),
                "test accuracy": test_acc,
            }
        )
    return model, weights, history


model, weights, history = train(AntidoteLoss(forget_rate=0.3))

# %%
# ``delta=0`` makes :class:`~skantidote.AntidoteLoss` exactly the mean cross-entropy: the
# natural baseline, trained the same way.

_, _, history_ce = train(AntidoteLoss(delta=0.0))
print(f"test accuracy, ANTIDOTE:      {history[-1]['test accuracy']:.3f}")
print(f"test accuracy, cross-entropy: {history_ce[-1]['test accuracy']:.3f}")

# %%
# What the loss does with the wrong labels
# ----------------------------------------
#
# Left: the mean ANTIDOTE weight of the corrupted rows (1 is an average row), computed
# on the whole training set after every epoch, for the network trained with ANTIDOTE
# and for the one trained with cross-entropy. After the first epochs both networks fit
# the clean structure, so the corrupted rows have the largest losses and small weights.
# Trained with ANTIDOTE, the network then stops learning from them (they are
# *forgotten*) and their weight stays near 0; trained with cross-entropy, it slowly
# memorises their wrong labels, their losses fall and their weight creeps up. Right:
# the price of memorising, on the clean test labels.

epochs = np.arange(1, len(history) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
for runs, label in [(history, "ANTIDOTE"), (history_ce, "cross-entropy")]:
    left.plot(epochs, [h["weight (wrong labels)"] for h in runs], label=label)
    right.plot(epochs, [h["test accuracy"] for h in runs], label=label)
for ax in (left, right):
    ax.axvline(5.5, color="gray", linestyle=":", label="end of warm-up")
    ax.set_xlabel("epoch")
    ax.legend()
left.set_ylabel("mean weight of the wrong labels")
right.set_ylabel("accuracy on clean test labels")
fig.tight_layout()

# %%
# The final weights of the ANTIDOTE-trained network separate the two groups: almost
# every corrupted row has a weight near 0, almost every clean row a weight above 1 (the
# weights have mean 1, so forgetting 30 % of the rows raises the others to about
# 1 / 0.7).

bins = np.linspace(0, weights.max(), 40)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(weights[~is_noisy], bins=bins, alpha=0.7, color="tab:blue", label="correct labels")
ax.hist(weights[is_noisy], bins=bins, alpha=0.7, color="tab:red", label="wrong labels")
ax.set_xlabel("final ANTIDOTE weight")
ax.set_ylabel("rows")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()

# %%
# Inside a minibatch
# ------------------
#
# After a forward pass the criterion keeps the last batch's weights and dual variables:
# ``weights_`` (the weights, mean 1), ``tau_`` (the temperature: weights are proportional
# to ``exp(-loss / tau)`` for KL), ``lambda_`` (the multiplier of the radius constraint)
# and ``forgotten_`` (the fraction of rows with weight below 0.1).

criterion = AntidoteLoss(forget_rate=0.3)
batch = torch.arange(16)
with torch.no_grad():
    criterion(model(X_train_t[batch]), y_noisy_t[batch])
print("weights:", np.round(criterion.weights_.numpy(), 2))
print("label is wrong:", is_noisy[:16].astype(int))
print(f"tau = {criterion.tau_.item():.3f}, forgotten = {criterion.forgotten_.item():.2f}")
