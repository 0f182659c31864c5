"""Dataset adapters and file readers (numpy only; torch-facing views live in ``datasets/torch*``)."""
