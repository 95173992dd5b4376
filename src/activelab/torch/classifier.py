"""`TorchClassifier`: a scikit-learn–compatible classifier around a PyTorch module, implementing
the model seam (`embed`, `last_layer_input`, MC-dropout `posterior_samples`).

The module's last registered `nn.Linear` is its output layer; what that layer receives is the
model's embedding (BADGE's last-layer input, the geometry strategies' representation). Inference
runs batch by batch under `torch.no_grad`, so a large pool never holds more than one batch of
activations per layer.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterator

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._errors import InvalidInputError
from .._features import to_ndarray
from .networks import MLP, SmallCNN, image_shape

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": lambda params, lr, weight_decay: torch.optim.SGD(
        params, lr=lr, weight_decay=weight_decay, momentum=0.9),
}


def _builtin(name: str) -> Callable[..., nn.Module]:
    def mlp(input_shape, n_classes, **params):
        return MLP(int(np.prod(input_shape)), n_classes, **params)

    def cnn(input_shape, n_classes, **params):
        shape = tuple(input_shape)
        if len(shape) == 1:
            shape = image_shape(shape[0]) or shape
        if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2] or shape[1] > 64:
            raise InvalidInputError(
                f"module='cnn' takes square 1- or 3-channel images up to 64×64, as (n, C, H, W), "
                f"(n, H, W) or flattened (n, H·W); got rows of shape {tuple(input_shape)}."
            )
        return SmallCNN(shape[0], shape[1], n_classes, **params)

    table = {"mlp": mlp, "cnn": cnn}
    if name not in table:
        from .._errors import UnknownNameError

        raise UnknownNameError("built-in network", name, table)
    return table[name]


def _as_float_array(X, who: str = "X") -> np.ndarray:
    """X as float32 rows of 2 to 4 dimensions, finite; clear errors otherwise."""
    arr = to_ndarray(X)
    if arr.dtype.kind not in "fiub":
        raise InvalidInputError(f"{who} must be numeric for a torch model; got dtype {arr.dtype}.")
    if arr.ndim not in (2, 3, 4):
        raise InvalidInputError(
            f"{who} must be (n, features), (n, H, W) or (n, C, H, W); got shape {arr.shape}."
        )
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise InvalidInputError(f"{who} contains NaN or infinity; impute or drop those rows first.")
    return arr


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """A PyTorch network as a scikit-learn classifier (fit, predict_proba, clone, random_state).

    Parameters
    ----------
    module : "mlp", "cnn" or callable, default "mlp"
        A built-in network or a factory ``module(input_shape, n_classes, **module_params) ->
        nn.Module`` returning logits; ``input_shape`` is one row's shape (e.g. ``(784,)`` or
        ``(1, 28, 28)``). Its last `nn.Linear` is taken as the output layer.
    module_params : dict or None
        Passed to the factory (e.g. ``{"hidden": (256, 128), "dropout": 0.3}``).
    epochs : int, default 30
    batch_size : int, default 64
        Training batch size; inference uses `predict_batch_size`.
    optimizer : {"adam", "adamw", "sgd"}, default "adam"
    lr : float, default 1e-3
    weight_decay : float, default 0.0
    early_stopping : bool, default False
        Hold out `validation_fraction` of the labeled rows (stratified when possible), stop
        after `patience` epochs without a lower validation loss, and keep the best weights.
    validation_fraction : float, default 0.1
    patience : int, default 5
    class_weight : None or "balanced", default None
        "balanced" weighs the loss by n / (n_classes · count) per class.
    warm_start : bool, default False
        Continue from the previous fit's weights (same classes and input shape) instead of
        retraining from scratch; off by default because retraining is the reproducible choice.
    device : str, default "cpu"
        "cuda" (or "cuda:1") when a GPU is wanted; a clear error when none is there.
    predict_batch_size : int, default 1024
    random_state : int or None
        Seeds weight initialization, shuffling, dropout and the validation split; the global
        torch RNG is left as it was. On CPU the same seed gives the same model.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    module_ : nn.Module (fitted, on `device`)
    input_shape_ : tuple, one row's shape as the module sees it
    n_epochs_ : int, epochs actually run
    """

    def __init__(self, module="mlp", module_params=None, epochs: int = 30, batch_size: int = 64,
                 optimizer: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 patience: int = 5, class_weight=None, warm_start: bool = False,
                 device: str = "cpu", predict_batch_size: int = 1024, random_state=None) -> None:
        self.module = module
        self.module_params = module_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.device = device
        self.predict_batch_size = predict_batch_size
        self.random_state = random_state

    # -- checks ---------------------------------------------------------------------------------

    def _check_params(self) -> None:
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 1),
                          ("predict_batch_size", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
                raise InvalidInputError(f"TorchClassifier: {name} must be an integer >= {low}; got {v!r}.")
        for name in ("lr", "weight_decay"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
                raise InvalidInputError(f"TorchClassifier: {name} must be a finite number >= 0; got {v!r}.")
        if not 0 < self.validation_fraction < 1:
            raise InvalidInputError(
                f"TorchClassifier: validation_fraction must be in (0, 1); got {self.validation_fraction!r}."
            )
        if self.optimizer not in OPTIMIZERS:
            from .._errors import UnknownNameError

            raise UnknownNameError("optimizer", str(self.optimizer), OPTIMIZERS)
        if self.class_weight not in (None, "balanced"):
            raise InvalidInputError(
                f"TorchClassifier: class_weight must be None or 'balanced'; got {self.class_weight!r}."
            )

    def _device(self) -> torch.device:
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidInputError(f"TorchClassifier: unknown device {self.device!r} ({exc}).") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InvalidInputError(
                f"TorchClassifier: device={self.device!r} but no CUDA device is available here; "
                "use device='cpu'."
            )
        return device

    def _rows(self, X) -> np.ndarray:
        """X as float32 rows in the module's input shape ((n, H, W) gains a channel axis)."""
        arr = _as_float_array(X)
        if arr.ndim == 3:
            arr = arr[:, None]
        elif arr.ndim == 2 and self.module == "cnn":  # flattened square images, channels last
            shape = image_shape(arr.shape[1])
            if shape is None:
                raise InvalidInputError(
                    f"module='cnn' needs images; rows of {arr.shape[1]} features are not a "
                    "flattened square image, H·W or H·W·3 (pass X as (n, H, W) or (n, C, H, W))."
                )
            c, h, w = shape
            arr = np.ascontiguousarray(arr.reshape(arr.shape[0], h, w, c).transpose(0, 3, 1, 2))
        return arr

    def _build(self, input_shape: tuple, n_classes: int) -> nn.Module:
        factory = _builtin(self.module) if isinstance(self.module, str) else self.module
        if not callable(factory):
            raise InvalidInputError(
                f"TorchClassifier: module must be 'mlp', 'cnn' or a callable returning an "
                f"nn.Module; got {self.module!r}."
            )
        net = factory(input_shape, n_classes, **(self.module_params or {}))
        if not isinstance(net, nn.Module):
            raise InvalidInputError(
                f"TorchClassifier: the module factory returned {type(net).__name__}, not a "
                "torch.nn.Module."
            )
        if _output_layer(net) is None:
            raise InvalidInputError(
                "TorchClassifier: the network has no nn.Linear layer; its last nn.Linear is "
                "taken as the output layer (its input is the embedding)."
            )
        return net

    # -- training -------------------------------------------------------------------------------

    def fit(self, X, y) -> "TorchClassifier":
        """Train on (X, y); retrains from scratch unless `warm_start`."""
        self._check_params()
        device = self._device()
        rows = self._rows(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != rows.shape[0]:
            raise InvalidInputError(f"y must be 1-D with {rows.shape[0]} labels; got shape {y.shape}.")
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise InvalidInputError("TorchClassifier needs at least two classes in y.")
        input_shape = tuple(rows.shape[1:])
        seed = _seed(self.random_state)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            reuse = (self.warm_start and hasattr(self, "module_")
                     and np.array_equal(self.classes_, classes) and self.input_shape_ == input_shape)
            net = self.module_ if reuse else self._build(input_shape, classes.shape[0])
            net.to(device)
            gen = torch.Generator().manual_seed(seed)
            train, val = _split(codes, self.validation_fraction, gen) if self.early_stopping \
                else (np.arange(codes.shape[0]), None)
            weight = None
            if self.class_weight == "balanced":
                counts = np.bincount(codes, minlength=classes.shape[0]).astype(np.float32)
                weight = torch.as_tensor(codes.shape[0] / (classes.shape[0] * np.maximum(counts, 1)),
                                         device=device)
            loss_fn = nn.CrossEntropyLoss(weight=weight)
            opt = OPTIMIZERS[self.optimizer](net.parameters(), lr=self.lr,
                                             weight_decay=self.weight_decay)
            Xt = torch.from_numpy(rows)
            yt = torch.from_numpy(codes.astype(np.int64))
            best, best_loss, stale, epochs_run = None, math.inf, 0, 0
            for _ in range(int(self.epochs)):
                net.train()
                order = train[torch.randperm(train.shape[0], generator=gen).numpy()]
                for start in range(0, order.shape[0], int(self.batch_size)):
                    idx = order[start:start + int(self.batch_size)]
                    if idx.shape[0] < 2 and order.shape[0] >= 2:
                        continue  # batch norm cannot train on one row
                    opt.zero_grad()
                    loss = loss_fn(net(Xt[idx].to(device)), yt[idx].to(device))
                    loss.backward()
                    opt.step()
                epochs_run += 1
                if val is not None:
                    val_loss = _mean_loss(net, Xt[val], yt[val], loss_fn, device,
                                          int(self.predict_batch_size))
                    if val_loss < best_loss - 1e-7:
                        best_loss, stale = val_loss, 0
                        best = copy.deepcopy(net.state_dict())
                    else:
                        stale += 1
                        if stale >= int(self.patience):
                            break
            if best is not None:
                net.load_state_dict(best)
        net.eval()
        self.module_ = net
        self.classes_ = classes
        self.input_shape_ = input_shape
        self.n_epochs_ = epochs_run
        return self

    # -- inference ------------------------------------------------------------------------------

    def _batches(self, X) -> Iterator[torch.Tensor]:
        check_is_fitted(self, "module_")
        rows = self._rows(X)
        if tuple(rows.shape[1:]) != self.input_shape_:
            raise InvalidInputError(
                f"X rows have shape {tuple(rows.shape[1:])} but the model was fitted on "
                f"{self.input_shape_}."
            )
        device = next(self.module_.parameters()).device
        step = int(self.predict_batch_size)
        for start in range(0, rows.shape[0], step):
            yield torch.from_numpy(rows[start:start + step]).to(device)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (eval mode: dropout off), shape (n, n_classes), columns = classes_."""
        self.module_.eval()
        with torch.no_grad():
            parts = [torch.softmax(self.module_(b), dim=1).cpu().numpy() for b in self._batches(X)]
        return _stack(parts, (0, self.classes_.shape[0])).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def last_layer_input(self, X) -> np.ndarray:
        """What the output layer receives, shape (n, n_dims) float32: BADGE's gradient embedding
        factor and the model's representation for geometry."""
        layer = _output_layer(self.module_)
        captured: list[torch.Tensor] = []
        hook = layer.register_forward_hook(lambda _m, inp, _out: captured.append(inp[0].detach()))
        self.module_.eval()
        try:
            parts = []
            with torch.no_grad():
                for b in self._batches(X):
                    self.module_(b)
                    parts.append(captured.pop().reshape(b.shape[0], -1).cpu().numpy())
        finally:
            hook.remove()
        return np.ascontiguousarray(_stack(parts, (0, layer.in_features)), dtype=np.float32)

    def embed(self, X) -> np.ndarray:
        """The penultimate representation (same as `last_layer_input`)."""
        return self.last_layer_input(X)

    def posterior_samples(self, X, n_samples: int, random_state=None) -> np.ndarray:
        """MC dropout (Gal & Ghahramani 2016): `n_samples` stochastic passes with dropout on and
        batch norm in eval mode, shape (n_samples, n, n_classes). Batched over rows, one pass at
        a time, so memory holds one batch of activations whatever `n_samples` is. Raises when the
        network has no dropout layer."""
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise InvalidInputError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        dropouts = [m for m in self.module_.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
        if not dropouts:
            raise InvalidInputError(
                "MC dropout needs dropout layers; this network has none (use a bootstrap committee)."
            )
        self.module_.eval()
        n_rows = _n_rows(X)
        out = np.empty((int(n_samples), n_rows, self.classes_.shape[0]), dtype=np.float32)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(_seed(random_state))
            for m in dropouts:
                m.train()
            try:
                start = 0
                for b in self._batches(X):
                    stop = start + b.shape[0]
                    for t in range(int(n_samples)):
                        out[t, start:stop] = torch.softmax(self.module_(b), dim=1).cpu().numpy()
                    start = stop
            finally:
                for m in dropouts:
                    m.eval()
        return out


def _n_rows(X) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _output_layer(net: nn.Module) -> nn.Linear | None:
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    return linears[-1] if linears else None


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(random_state)


def _split(codes: np.ndarray, fraction: float, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/validation positions; every class keeps a training row."""
    val = []
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        members = members[torch.randperm(members.shape[0], generator=gen).numpy()]
        k = int(round(fraction * members.shape[0]))
        val.append(members[:min(k, members.shape[0] - 1)])
    val_idx = np.sort(np.concatenate(val))
    if val_idx.shape[0] == 0:  # too few rows to hold any out: validate on the training rows
        return np.arange(codes.shape[0]), np.arange(codes.shape[0])
    return np.setdiff1d(np.arange(codes.shape[0]), val_idx), val_idx


def _mean_loss(net, X, y, loss_fn, device, step) -> float:
    net.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, X.shape[0], step):
            xb, yb = X[start:start + step].to(device), y[start:start + step].to(device)
            total += float(loss_fn(net(xb), yb)) * xb.shape[0]
    return total / max(X.shape[0], 1)


def _stack(parts: list[np.ndarray], empty_shape: tuple) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(empty_shape, dtype=np.float32)
