"""Evaluation loops over datasets (threads over images, progress) and the training runner."""
