"""The learners' phone web app (H5): static ES modules served by the same service at ``/``."""
