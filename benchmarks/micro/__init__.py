"""Micro-benchmarks: the cost of the loss, of a training epoch, and the memory of ``fit``.

* ``python -m benchmarks.micro.loss_speed``: a training step with ``AntidoteLoss`` against
  cross-entropy, and the weight solve against scipy (``results/loss_speed.*``);
* ``python -m benchmarks.micro.epoch_cost``: per-epoch time of ``AntidoteClassifier``
  against a plain skorch net, and fit time against n (``results/cost*``);
* ``python -m benchmarks.micro.memory``: peak memory of ``fit`` on 10^6 rows (printed;
  ``results/memory.md`` discusses it).
"""
