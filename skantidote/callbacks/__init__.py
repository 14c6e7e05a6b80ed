"""skorch callbacks for training with ANTIDOTE, one training concern a module.

Each callback works with any skorch ``NeuralNet`` whose criterion is
:class:`~skantidote.loss.AntidoteLoss` (or any loss with its call signature), so that a
skorch user gets the behaviour of :class:`~skantidote.AntidoteClassifier` in their own net.
"""
