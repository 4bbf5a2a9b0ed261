"""cmfrec's explicit ALS as the ALS benchmarks run it: the model mfpipe's als fits after
normalize `mean` (biases and factors by ALS, weighted-λ), its penalties mapped onto the
rating scale. mfpipe's λ is on the unit-RMS scale of the centred ratings, so cmfrec gets
λ_r = λ x that RMS for the factors and λ_b = λ for the biases; conjugate-gradient steps
(cmfrec's default) or exact Cholesky solves."""
import numpy as np


def centred_rms(ratings):
    """The root mean square of `ratings` about their mean: the scale mfpipe's λ is on."""
    return float(np.sqrt(np.mean((ratings - ratings.mean()) ** 2)))


def fit(train, k, lam, scale, iterations, threads, cg):
    """cmfrec's explicit ALS with biases fitted on `train` (columns UserId, ItemId, Rating)
    for `iterations` iterations on `threads` threads, mfpipe's λ `lam` mapped by `scale`."""
    import cmfrec
    return cmfrec.CMF(k=k, lambda_=np.array([lam, lam, lam * scale, lam * scale, 0, 0]), method="als", use_cg=cg,
                      user_bias=True, item_bias=True, scale_lam=True, niter=iterations, nthreads=threads, use_float=True,
                      random_state=1, verbose=False).fit(train)


def test_rmse(model, test):
    """The RMSE of `model`'s predictions of the `test` ratings (columns UserId, ItemId, Rating)."""
    predicted = model.predict(test["UserId"].to_numpy(), test["ItemId"].to_numpy())
    return float(np.sqrt(np.nanmean((test["Rating"].to_numpy() - predicted) ** 2)))
