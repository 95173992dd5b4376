"""The experiment runner: datasets, models, simulated runs over seeds, summaries and reports."""

from .datasets import dataset_names, load_dataset
from .metrics import learning_curve_auc, labels_to_reach
from ..models import make_model, model_names
from .runner import ExperimentConfig, run_experiment

__all__ = [
    "ExperimentConfig",
    "dataset_names",
    "labels_to_reach",
    "learning_curve_auc",
    "load_dataset",
    "make_model",
    "model_names",
    "run_experiment",
]
