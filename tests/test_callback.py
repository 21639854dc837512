"""pf.SharingCheck on real Keras training: denied sharing stops fit before any weight changes."""

import keras
import numpy as np
import pytest

import policyfactory as pf

X = np.linspace(-1.0, 1.0, 32, dtype="float32").reshape(8, 4)
Y = np.linspace(0.5, 1.5, 8, dtype="float32").reshape(8, 1)


def dense_model(init_a, init_b):
    inp = keras.Input((4,))
    x = keras.layers.Dense(4, name="d1", kernel_initializer=init_a)(inp)
    out = keras.layers.Dense(1, name="d2", kernel_initializer=init_b)(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def lstm_model(constraint):
    inp = keras.Input((3, 4))
    x = keras.layers.LSTM(4, name="lstm", kernel_constraint=constraint, recurrent_constraint=constraint)(inp)
    out = keras.layers.Dense(1, name="head")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def fit(model, callback, x=X, y=Y):
    return model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[callback])


def unchanged(before, after):
    return len(before) == len(after) and all(np.array_equal(a, b) for a, b in zip(before, after))


def test_shared_initializer_stops_fit_before_any_weight_changes():
    init = keras.initializers.HeNormal()
    model = dense_model(init, init)
    before = model.get_weights()
    check = pf.SharingCheck()
    with pytest.raises(pf.PolicyViolation) as err:
        fit(model, check)
    assert unchanged(before, model.get_weights())
    assert [f.rule for f in err.value.findings] == ["sharing-violation"]
    assert err.value.findings[0].data["slots"] == ["d1.kernel_initializer", "d2.kernel_initializer"]
    assert "d1.kernel_initializer" in str(err.value) and "d2.kernel_initializer" in str(err.value)
    assert check.findings == err.value.findings


def test_clean_model_trains():
    model = dense_model(keras.initializers.HeNormal(), keras.initializers.HeNormal())
    before = model.get_weights()
    check = pf.SharingCheck()
    history = fit(model, check)
    assert len(history.history["loss"]) == 1 and check.findings == []
    assert not unchanged(before, model.get_weights())


def test_warn_lets_training_continue():
    init = keras.initializers.HeNormal()
    model = dense_model(init, init)
    before = model.get_weights()
    with pytest.warns(UserWarning, match=r"sharing-violation.*d1\.kernel_initializer, d2\.kernel_initializer"):
        history = fit(model, pf.SharingCheck(on_violation="warn"))
    assert len(history.history["loss"]) == 1
    assert not unchanged(before, model.get_weights())


def test_policy_that_allows_the_sharing_passes_and_strict_raises():
    x = np.linspace(-1.0, 1.0, 96, dtype="float32").reshape(8, 3, 4)
    norm = keras.constraints.UnitNorm()
    model = lstm_model(norm)
    before = model.get_weights()
    with pytest.raises(pf.PolicyViolation, match=r"lstm\.kernel_constraint, lstm\.recurrent_constraint"):
        fit(model, pf.SharingCheck(policy="strict"), x=x)
    assert unchanged(before, model.get_weights())
    history = fit(model, pf.SharingCheck(policy="recurrent"), x=x)
    assert len(history.history["loss"]) == 1
    assert not unchanged(before, model.get_weights())


def test_policy_object_is_taken_as_given():
    policy = pf.load_policy("recurrent")
    assert pf.SharingCheck(policy=policy).policy is policy


@pytest.mark.parametrize("bad", ["ignore", "RAISE", "", None, 1])
def test_bad_on_violation_raises_value_error(bad):
    with pytest.raises(ValueError, match="on_violation"):
        pf.SharingCheck(on_violation=bad)


def test_bad_policy_name_fails_at_construction():
    with pytest.raises(pf.InvalidInput):
        pf.SharingCheck(policy="no-such-policy")
