"""Scaling beyond one process: grid search on a Dask cluster, training through Accelerate.

See docs/scaling.md. Both tests skip cleanly when the optional package is missing.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from tiny_estimators import tiny

from skantidote import AntidoteClassifier


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(120, n_features=4, centers=3, random_state=0)
    return X.astype(np.float32), y


def test_grid_search_on_a_dask_cluster(blobs):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    import joblib

    X, y = blobs
    grid = {"forget_rate": [0.0, 0.3]}
    # Loopback only, two worker processes with one thread each.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(tiny(), grid, cv=2, n_jobs=-1).fit(X, y)
        workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert search.cv_results_["params"] == [{"forget_rate": r} for r in grid["forget_rate"]]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The same search in this process gives the same scores: training is seeded.
    local = GridSearchCV(tiny(), grid, cv=2).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert set(search.predict(X)) <= set(search.classes_)


def test_accelerate_single_process_cpu(blobs, capsys):
    accelerate = pytest.importorskip("accelerate")

    from skantidote.net import AcceleratedAntidoteNet

    X, y = blobs
    clf = AntidoteClassifier(
        hidden_layer_sizes=(8,), max_epochs=3, warmup_epochs=1, batch_size=32, lr=1e-2,
        random_state=0, accelerator=accelerate.Accelerator(cpu=True),
    ).fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0 prints nothing, as without it
    assert isinstance(clf.net_, AcceleratedAntidoteNet)
    assert clf.net_.device is None  # device placement is Accelerate's
    assert len(clf.history_) == 3
    assert np.isfinite([row["train_loss"] for row in clf.history_]).all()
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert clf.score(X, y) > 0.8
    assert np.isfinite(clf.sample_weights_).all()
    # A clone (as in a grid search) trains through Accelerate too.
    assert isinstance(clone(clf).fit(X, y).net_, AcceleratedAntidoteNet)


def test_accelerator_needs_a_net_class_with_the_accelerate_mixin(blobs):
    accelerate = pytest.importorskip("accelerate")
    from skorch.hf import AccelerateMixin

    from skantidote.net import AntidoteNet

    class PlainNet(AntidoteNet):
        pass

    class PlainClassifier(AntidoteClassifier):
        net_class = PlainNet

    X, y = blobs
    with pytest.raises(ValueError, match="PlainNet does not mix in skorch.hf.AccelerateMixin"):
        PlainClassifier(accelerator=accelerate.Accelerator(cpu=True)).fit(X, y)

    class MixedNet(AccelerateMixin, PlainNet):
        pass

    class MixedClassifier(AntidoteClassifier):
        net_class = MixedNet

    clf = MixedClassifier(
        hidden_layer_sizes=(8,), max_epochs=1, random_state=0,
        accelerator=accelerate.Accelerator(cpu=True),
    ).fit(X, y)
    assert isinstance(clf.net_, MixedNet)
